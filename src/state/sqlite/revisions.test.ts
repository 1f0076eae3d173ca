import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempStateDir } from '../testing.ts';
import type { TempStateDir } from '../testing.ts';
import type { SqliteStateStore } from './sqlite-state-store.ts';

const shop = { service: 'shop', environment: 'live' };

describe('revisions', () => {
  let temp: TempStateDir;
  let store: SqliteStateStore;

  beforeEach(async () => {
    temp = await createTempStateDir();
    store = temp.open();
  });
  afterEach(async () => {
    await temp.dispose();
  });

  it('numbers revisions 1, 2, 3 separately for each service and environment', () => {
    const first = store.addRevision({ ...shop, version: 'v1', spec: { a: 1 }, createdBy: 'ann' });
    const second = store.addRevision({ ...shop, version: 'v2', spec: { a: 2 }, createdBy: 'ann' });
    const beta = store.addRevision({
      service: 'shop',
      environment: 'beta',
      version: 'v1',
      spec: {},
      createdBy: 'ann',
    });
    const other = store.addRevision({
      service: 'cart',
      environment: 'live',
      version: 'v9',
      spec: {},
      createdBy: 'bo',
    });
    const third = store.addRevision({ ...shop, version: 'v3', spec: { a: 3 }, createdBy: 'bo' });
    expect([first.number, second.number, third.number]).toEqual([1, 2, 3]);
    expect(beta.number).toBe(1);
    expect(other.number).toBe(1);
    expect(new Set([first.id, second.id, third.id, beta.id, other.id]).size).toBe(5);
  });

  it('stores the spec whole and returns it by id and by number', () => {
    const spec = {
      service: 'shop',
      replicas: 3,
      strategy: { canary: { steps: [{ setWeight: 10 }] } },
    };
    temp.clock.advance(5_000);
    const added = store.addRevision({ ...shop, version: '1.4.2', spec, createdBy: 'ann@laptop' });
    expect(added).toMatchObject({
      ...shop,
      version: '1.4.2',
      createdBy: 'ann@laptop',
      createdAt: '2026-01-01T00:00:05.000Z',
    });
    expect(store.getRevision(added.id)).toEqual(added);
    expect(store.getRevisionByNumber(shop, 1)).toEqual(added);
    expect(store.getRevision(added.id)?.spec).toEqual(spec);
    expect(store.getRevisionByNumber(shop, 2)).toBeUndefined();
    expect(store.getRevision(added.id + 100)).toBeUndefined();
  });

  it('gives the same digest to the same spec with keys in another order', () => {
    const one = store.addRevision({
      ...shop,
      version: 'v1',
      spec: { port: 3000, env: { A: '1', B: '2' } },
      createdBy: 'ann',
    });
    const two = store.addRevision({
      ...shop,
      version: 'v1',
      spec: { env: { B: '2', A: '1' }, port: 3000 },
      createdBy: 'ann',
    });
    const three = store.addRevision({
      ...shop,
      version: 'v1',
      spec: { env: { B: '2', A: '1' }, port: 3001 },
      createdBy: 'ann',
    });
    expect(one.specDigest).toBe(two.specDigest);
    expect(three.specDigest).not.toBe(one.specDigest);
  });

  it('lists newest first and honours the limit', () => {
    for (const version of ['v1', 'v2', 'v3', 'v4']) {
      store.addRevision({ ...shop, version, spec: { version }, createdBy: 'ann' });
    }
    expect(store.listRevisions(shop).map((revision) => revision.version)).toEqual([
      'v4',
      'v3',
      'v2',
      'v1',
    ]);
    expect(store.listRevisions(shop, { limit: 2 }).map((revision) => revision.number)).toEqual([
      4, 3,
    ]);
    expect(store.listRevisions({ service: 'shop', environment: 'beta' })).toEqual([]);
  });
});
