import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../errors.ts';
import { SECRET_MASK, maskSecrets } from '../runtime/secret-mask.ts';
import { secretValues } from './secrets.ts';

describe('secrets', () => {
  it('takes only the named values from the environment', () => {
    expect(secretValues(['A'], { A: 'x1', B: 'x2' })).toEqual({ A: 'x1' });
  });

  it('fails with a sentence naming a secret that has no value', () => {
    let caught: unknown;
    try {
      secretValues(['DATABASE_URL'], {});
    } catch (error) {
      caught = error;
    }
    expect(isSwitchyardError(caught) && caught.code).toBe('RUNTIME_START_FAILED');
    expect((caught as Error).message).toContain('DATABASE_URL');
  });

  it('masks every occurrence of every value, and leaves other text alone', () => {
    const values = { A: 's3cret', B: 'other-value', EMPTY: '' };
    expect(maskSecrets('a=s3cret b=other-value again s3cret', values)).toBe(
      `a=${SECRET_MASK} b=${SECRET_MASK} again ${SECRET_MASK}`,
    );
    expect(maskSecrets('nothing here', values)).toBe('nothing here');
  });
});
