import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STICKY_COOKIE } from '../../src/router/config.ts';
import { isSwitchyardError } from '../../src/errors.ts';
import {
  closeServer,
  config,
  get,
  listen,
  makeRouter,
  pool,
  service,
  startUpstream,
  tally,
  type TestRouter,
  type TestUpstream,
  until,
} from './router-harness.ts';

describe('router pool selection', () => {
  let stable: TestUpstream[];
  let canary: TestUpstream[];
  let t: TestRouter;

  beforeEach(async () => {
    stable = [await startUpstream('s1'), await startUpstream('s2')];
    canary = [await startUpstream('c1')];
    t = makeRouter();
  });

  afterEach(async () => {
    await t.router.close();
    await Promise.all([...stable, ...canary].map((u) => u.close()));
  });

  it('splits 1,000 requests 80/20 between pools and round-robins inside a pool', async () => {
    await t.router.apply(
      config(1, [service([pool('stable', 80, stable), pool('canary', 20, canary)])]),
    );
    const counts = await tally(t.port(), 1000);
    const canaryCount = counts.get('c1') ?? 0;
    // 20% of 1,000 = 200; a binomial standard deviation is about 13.
    expect(canaryCount).toBeGreaterThan(140);
    expect(canaryCount).toBeLessThan(260);
    const s1 = counts.get('s1') ?? 0;
    const s2 = counts.get('s2') ?? 0;
    expect(s1 + s2 + canaryCount).toBe(1000);
    expect(Math.abs(s1 - s2)).toBeLessThanOrEqual(2);
  });

  it('sends nothing to a weight-0 pool, and everything there with the override header', async () => {
    await t.router.apply(
      config(1, [service([pool('stable', 100, stable), pool('canary', 0, canary)])]),
    );
    const plain = await tally(t.port(), 100);
    expect(plain.get('c1')).toBeUndefined();
    const overridden = await tally(t.port(), 50, { headers: { 'X-Switchyard-Pool': 'canary' } });
    expect(overridden.get('c1')).toBe(50);
    // An override naming no pool falls back to the weights.
    const unknown = await tally(t.port(), 20, { headers: { 'X-Switchyard-Pool': 'nope' } });
    expect(unknown.get('c1')).toBeUndefined();
  });

  it('serves the preview pool on the preview listener whatever the weights', async () => {
    await t.router.apply(
      config(1, [
        service([pool('stable', 100, stable), pool('canary', 0, canary)], {
          preview: { port: 0, host: '127.0.0.1' },
          previewPool: 'canary',
        }),
      ]),
    );
    const preview = await tally(t.port('preview'), 30);
    expect(preview.get('c1')).toBe(30);
    const main = await tally(t.port(), 30);
    expect(main.get('c1')).toBeUndefined();
  });

  it('never sends a request to an instance the health view calls unhealthy', async () => {
    t.health.unhealthy.add('s2');
    await t.router.apply(config(1, [service([pool('stable', 100, stable)])]));
    const counts = await tally(t.port(), 60);
    expect(counts.get('s1')).toBe(60);
    expect(stable[1]?.requests.length).toBe(0);
  });

  it('falls back to another pool when the chosen one has no healthy instance', async () => {
    t.health.unhealthy.add('c1');
    await t.router.apply(
      config(1, [service([pool('stable', 50, stable), pool('canary', 50, canary)])]),
    );
    const counts = await tally(t.port(), 60);
    expect(counts.get('c1')).toBeUndefined();
    expect((counts.get('s1') ?? 0) + (counts.get('s2') ?? 0)).toBe(60);
  });

  it('answers 503 and tells the observer when no instance anywhere is healthy', async () => {
    for (const id of ['s1', 's2', 'c1']) t.health.unhealthy.add(id);
    await t.router.apply(
      config(1, [service([pool('stable', 50, stable), pool('canary', 50, canary)])]),
    );
    const answer = await get(t.port());
    expect(answer.status).toBe(503);
    expect(answer.body.length).toBeGreaterThan(0);
    expect(t.observer.noUpstreamCount).toBe(1);
  });

  it('least-requests prefers the instance with fewer requests in flight', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = await startUpstream('slow', (_req, res) => void held.then(() => res.end('slow')));
    const fast = await startUpstream('fast');
    try {
      await t.router.apply(
        config(1, [service([pool('stable', 1, [slow, fast])], { balance: 'least-requests' })]),
      );
      const pending = get(t.port());
      await until(() => slow.requests.length === 1 || fast.requests.length === 1);
      // Round-robin start makes the first pick the first instance.
      expect(slow.requests.length).toBe(1);
      {
        // While the slow one is busy, every (sequential) request goes to the idle one.
        for (let i = 0; i < 10; i++) expect((await get(t.port())).body).toBe('fast');
      }
      release();
      expect((await pending).status).toBe(200);
    } finally {
      release();
      await slow.close();
      await fast.close();
    }
  });

  it('gives a new client a sticky cookie and keeps it on its pool', async () => {
    await t.router.apply(
      config(1, [
        service([pool('stable', 50, stable), pool('canary', 50, canary)], { sticky: true }),
      ]),
    );
    const first = await get(t.port());
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    expect(setCookie.startsWith(`${STICKY_COOKIE}=`)).toBe(true);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('SameSite=Lax');
    const cookie = setCookie.slice(0, setCookie.indexOf(';'));
    const wantCanary = first.body === 'c1';
    const counts = await tally(t.port(), 40, { headers: { cookie: `theme=dark; ${cookie}` } });
    const onCanary = counts.get('c1') ?? 0;
    expect(onCanary).toBe(wantCanary ? 40 : 0);
    // A client that already has an id gets no new cookie.
    const again = await get(t.port(), { headers: { cookie } });
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('ignores a config older than the current generation', async () => {
    await t.router.apply(
      config(5, [service([pool('stable', 0, stable), pool('canary', 1, canary)])]),
    );
    await t.router.apply(
      config(4, [service([pool('stable', 1, stable), pool('canary', 0, canary)])]),
    );
    expect((await tally(t.port(), 10)).get('c1')).toBe(10);
  });

  it('re-applying the same config keeps listeners and instances', async () => {
    const cfg = config(1, [
      service([pool('stable', 1, stable)], { listen: { port: 0, host: '127.0.0.1' } }),
    ]);
    await t.router.apply(cfg);
    const port = t.port();
    const before = t.router.drainState();
    await t.router.apply(cfg);
    expect(t.port()).toBe(port);
    expect(t.router.drainState()).toEqual(before);
    expect(before.every((entry) => !entry.draining)).toBe(true);
  });

  it('rejects a taken port with ROUTER_PORT_IN_USE and keeps serving the old config', async () => {
    await t.router.apply(config(1, [service([pool('stable', 1, stable)])]));
    const squatter = http.createServer();
    await listen(squatter);
    const taken = (squatter.address() as AddressInfo).port;
    try {
      const attempt = t.router.apply(
        config(2, [
          service([pool('canary', 1, canary)], {
            preview: { port: taken, host: '127.0.0.1' },
          }),
        ]),
      );
      await expect(attempt).rejects.toSatisfy(
        (error: unknown) => isSwitchyardError(error) && error.code === 'ROUTER_PORT_IN_USE',
      );
      expect(t.router.listeningPorts().map((p) => p.kind)).toEqual(['listen']);
      const counts = await tally(t.port(), 10);
      expect(counts.get('c1')).toBeUndefined();
      // A later, valid config still applies.
      await t.router.apply(config(2, [service([pool('canary', 1, canary)])]));
      expect((await tally(t.port(), 5)).get('c1')).toBe(5);
    } finally {
      await closeServer(squatter);
    }
  });

  it('opens and closes listeners per service as services come and go', async () => {
    await t.router.apply(config(1, [service([pool('stable', 1, stable)])]));
    await t.router.apply(
      config(2, [
        service([pool('stable', 1, stable)]),
        service([pool('canary', 1, canary)], { name: 'other/beta' }),
      ]),
    );
    const shopPort = t.port();
    const otherPort = t.port('listen', 'other/beta');
    expect((await get(otherPort)).body).toBe('c1');
    await t.router.apply(config(3, [service([pool('canary', 1, canary)], { name: 'other/beta' })]));
    expect(t.router.listeningPorts().map((p) => p.service)).toEqual(['other/beta']);
    expect(t.port('listen', 'other/beta')).toBe(otherPort);
    await expect(get(shopPort)).rejects.toThrow();
  });

  it('rejects two services claiming the same port with ROUTER_BAD_CONFIG', async () => {
    const cfg = config(1, [
      service([pool('stable', 1, stable)], { listen: { port: 40123 } }),
      service([pool('canary', 1, canary)], { name: 'other/beta', listen: { port: 40123 } }),
    ]);
    await expect(t.router.apply(cfg)).rejects.toSatisfy(
      (error: unknown) => isSwitchyardError(error) && error.code === 'ROUTER_BAD_CONFIG',
    );
    expect(t.router.listeningPorts()).toEqual([]);
  });
});
