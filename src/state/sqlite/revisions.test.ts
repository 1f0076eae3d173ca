import { useTempStore } from '../../../test/support/use-temp-store.ts';
import { describe, expect, it } from 'vitest';

const shop = { service: 'shop', environment: 'live' };

describe('revisions', () => {
  const t = useTempStore();

  it('numbers revisions 1, 2, 3 separately for each service and environment', () => {
    const first = t.store.addRevision({ ...shop, version: 'v1', spec: { a: 1 }, createdBy: 'ann' });
    const second = t.store.addRevision({
      ...shop,
      version: 'v2',
      spec: { a: 2 },
      createdBy: 'ann',
    });
    const beta = t.store.addRevision({
      service: 'shop',
      environment: 'beta',
      version: 'v1',
      spec: {},
      createdBy: 'ann',
    });
    const other = t.store.addRevision({
      service: 'cart',
      environment: 'live',
      version: 'v9',
      spec: {},
      createdBy: 'bo',
    });
    const third = t.store.addRevision({ ...shop, version: 'v3', spec: { a: 3 }, createdBy: 'bo' });
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
    t.temp.clock.advance(5_000);
    const added = t.store.addRevision({ ...shop, version: '1.4.2', spec, createdBy: 'ann@laptop' });
    expect(added).toMatchObject({
      ...shop,
      version: '1.4.2',
      createdBy: 'ann@laptop',
      createdAt: '2026-01-01T00:00:05.000Z',
    });
    expect(t.store.getRevision(added.id)).toEqual(added);
    expect(t.store.getRevisionByNumber(shop, 1)).toEqual(added);
    expect(t.store.getRevision(added.id)?.spec).toEqual(spec);
    expect(t.store.getRevisionByNumber(shop, 2)).toBeUndefined();
    expect(t.store.getRevision(added.id + 100)).toBeUndefined();
  });

  it('gives the same digest to the same spec with keys in another order', () => {
    const one = t.store.addRevision({
      ...shop,
      version: 'v1',
      spec: { port: 3000, env: { A: '1', B: '2' } },
      createdBy: 'ann',
    });
    const two = t.store.addRevision({
      ...shop,
      version: 'v1',
      spec: { env: { B: '2', A: '1' }, port: 3000 },
      createdBy: 'ann',
    });
    const three = t.store.addRevision({
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
      t.store.addRevision({ ...shop, version, spec: { version }, createdBy: 'ann' });
    }
    expect(t.store.listRevisions(shop).map((revision) => revision.version)).toEqual([
      'v4',
      'v3',
      'v2',
      'v1',
    ]);
    expect(t.store.listRevisions(shop, { limit: 2 }).map((revision) => revision.number)).toEqual([
      4, 3,
    ]);
    expect(t.store.listRevisions({ service: 'shop', environment: 'beta' })).toEqual([]);
  });

  it('lists every service and environment that has a revision, once each, sorted', () => {
    expect(t.store.listServices()).toEqual([]);
    for (const key of [shop, { service: 'cart', environment: 'live' }, shop]) {
      t.store.addRevision({ ...key, version: 'v1', spec: {}, createdBy: 'ann' });
    }
    expect(t.store.listServices()).toEqual([
      { service: 'cart', environment: 'live' },
      { service: 'shop', environment: 'live' },
    ]);
  });
});
