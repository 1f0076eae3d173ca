import { useTempStore } from '../../../test/support/use-temp-store.ts';
import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../../errors.ts';
import type { InstanceRecord } from '../../runtime/runtime.ts';
import { thrownBy } from '../testing.ts';

function record(instanceId: string, fields: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    instanceId,
    runtime: 'process',
    service: 'shop',
    environment: 'live',
    revision: 1,
    version: 'v1',
    pool: 'stable',
    host: '127.0.0.1',
    port: 41000,
    startedAt: '2026-01-01T00:00:00.000Z',
    handle: { pid: 1234, startTime: 998877 },
    logPath: `/tmp/${instanceId}.log`,
    ...fields,
  };
}

describe('instances', () => {
  const t = useTempStore();

  it('stores runtime records whole and filters by service, environment and pool', () => {
    t.store.putInstance(record('a'));
    t.store.putInstance(record('b', { pool: 'canary', revision: 2, version: 'v2' }));
    t.store.putInstance(record('c', { environment: 'beta' }));
    t.store.putInstance(record('d', { service: 'cart' }));
    expect(
      t.store
        .listInstances()
        .map((instance) => instance.record.instanceId)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(t.store.listInstances({ service: 'shop', environment: 'live' })).toEqual([
      { record: record('b', { pool: 'canary', revision: 2, version: 'v2' }), desired: true },
      { record: record('a'), desired: true },
    ]);
    expect(
      t.store
        .listInstances({ service: 'shop', environment: 'live', pool: 'canary' })
        .map((i) => i.record.instanceId),
    ).toEqual(['b']);
    expect(t.store.listInstances({ environment: 'beta' }).map((i) => i.record.instanceId)).toEqual([
      'c',
    ]);
  });

  it('replaces a record on a second put and keeps the desired flag unless told otherwise', () => {
    t.store.putInstance(record('a'));
    t.store.setInstanceDesired('a', false);
    t.store.putInstance(record('a', { port: 42000 }));
    expect(t.store.listInstances()).toEqual([
      { record: record('a', { port: 42000 }), desired: false },
    ]);
    t.store.putInstance(record('a'), true);
    expect(t.store.listInstances()[0]?.desired).toBe(true);
    t.store.putInstance(record('e'), false);
    expect(
      t.store.listInstances({ pool: 'stable' }).map((i) => [i.record.instanceId, i.desired]),
    ).toEqual([
      ['a', true],
      ['e', false],
    ]);
  });

  it('removes instances, and removing an unknown one is a no-op', () => {
    t.store.putInstance(record('a'));
    t.store.putInstance(record('b'));
    t.store.removeInstance('a');
    t.store.removeInstance('a');
    expect(t.store.listInstances().map((i) => i.record.instanceId)).toEqual(['b']);
  });

  it('refuses to mark an unknown instance', () => {
    const error = thrownBy(() => t.store.setInstanceDesired('ghost', false));
    expect(isSwitchyardError(error) && error.code).toBe('STATE_NOT_FOUND');
  });
});
