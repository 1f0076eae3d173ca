import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../../errors.ts';
import type { InstanceRecord } from '../../runtime/runtime.ts';
import { createTempStateDir, thrownBy } from '../testing.ts';
import type { TempStateDir } from '../testing.ts';
import type { SqliteStateStore } from './sqlite-state-store.ts';

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
  let temp: TempStateDir;
  let store: SqliteStateStore;

  beforeEach(async () => {
    temp = await createTempStateDir();
    store = temp.open();
  });
  afterEach(async () => {
    await temp.dispose();
  });

  it('stores runtime records whole and filters by service, environment and pool', () => {
    store.putInstance(record('a'));
    store.putInstance(record('b', { pool: 'canary', revision: 2, version: 'v2' }));
    store.putInstance(record('c', { environment: 'beta' }));
    store.putInstance(record('d', { service: 'cart' }));
    expect(
      store
        .listInstances()
        .map((instance) => instance.record.instanceId)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(store.listInstances({ service: 'shop', environment: 'live' })).toEqual([
      { record: record('b', { pool: 'canary', revision: 2, version: 'v2' }), desired: true },
      { record: record('a'), desired: true },
    ]);
    expect(
      store
        .listInstances({ service: 'shop', environment: 'live', pool: 'canary' })
        .map((i) => i.record.instanceId),
    ).toEqual(['b']);
    expect(store.listInstances({ environment: 'beta' }).map((i) => i.record.instanceId)).toEqual([
      'c',
    ]);
  });

  it('replaces a record on a second put and keeps the desired flag unless told otherwise', () => {
    store.putInstance(record('a'));
    store.setInstanceDesired('a', false);
    store.putInstance(record('a', { port: 42000 }));
    expect(store.listInstances()).toEqual([
      { record: record('a', { port: 42000 }), desired: false },
    ]);
    store.putInstance(record('a'), true);
    expect(store.listInstances()[0]?.desired).toBe(true);
    store.putInstance(record('e'), false);
    expect(
      store.listInstances({ pool: 'stable' }).map((i) => [i.record.instanceId, i.desired]),
    ).toEqual([
      ['a', true],
      ['e', false],
    ]);
  });

  it('removes instances, and removing an unknown one is a no-op', () => {
    store.putInstance(record('a'));
    store.putInstance(record('b'));
    store.removeInstance('a');
    store.removeInstance('a');
    expect(store.listInstances().map((i) => i.record.instanceId)).toEqual(['b']);
  });

  it('refuses to mark an unknown instance', () => {
    const error = thrownBy(() => store.setInstanceDesired('ghost', false));
    expect(isSwitchyardError(error) && error.code).toBe('STATE_NOT_FOUND');
  });
});
