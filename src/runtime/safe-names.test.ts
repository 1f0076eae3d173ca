import { describe, expect, it } from 'vitest';
import type { InstanceRequest } from './runtime.ts';
import { checkSafeNames } from './safe-names.ts';

const request: InstanceRequest = {
  service: 'shop',
  environment: 'live',
  revision: 1,
  version: 'v1',
  pool: 'blue',
  instanceId: 'shop-live-blue-r1-0a1b',
  env: {},
  stopTimeoutMs: 1000,
};

describe('checkSafeNames', () => {
  it('takes letters, digits, dots, underscores and dashes', () => {
    expect(() =>
      checkSafeNames({ ...request, service: 'shop_2.web-a' }, 'a file path'),
    ).not.toThrow();
  });

  it.each([
    ['service', '../etc'],
    ['environment', 'a/b'],
    ['instanceId', '.hidden'],
  ] as const)('refuses a %s of %j, naming it', (field, value) => {
    let error: unknown;
    try {
      checkSafeNames({ ...request, [field]: value }, 'a file path');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'RUNTIME_START_FAILED' });
    expect((error as Error).message).toContain(`${field} "${value}"`);
  });
});
