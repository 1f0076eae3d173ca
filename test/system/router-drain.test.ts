import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  config,
  get,
  makeRouter,
  pool,
  service,
  startUpstream,
  type TestRouter,
  type TestUpstream,
  until,
} from './router-harness.ts';

/** An upstream whose /slow requests wait until the test releases them. */
async function startGatedUpstream(id: string): Promise<TestUpstream & { release(): void }> {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const upstream = await startUpstream(id, (req, res) => {
    if (req.url === '/slow') void gate.then(() => res.end(`${id} slow`));
    else res.end(id);
  });
  return { ...upstream, release: () => release() };
}

describe('router draining', () => {
  let blue: TestUpstream & { release(): void };
  let green: TestUpstream;
  let t: TestRouter;

  beforeEach(async () => {
    blue = await startGatedUpstream('blue-1');
    green = await startUpstream('green-1');
    t = makeRouter();
  });

  afterEach(async () => {
    blue.release();
    await t.router.close();
    await blue.close();
    await green.close();
  });

  it('lets a slow request finish after its pool is removed, and reports drained only then', async () => {
    await t.router.apply(config(1, [service([pool('blue', 100, [blue])])]));
    const slow = get(t.port(), { path: '/slow' });
    await until(() => blue.requests.length === 1);

    await t.router.apply(config(2, [service([pool('green', 100, [green])])]));
    // New requests go to the new pool at once.
    expect((await get(t.port())).body).toBe('green-1');
    const state = t.router.drainState().find((entry) => entry.instanceId === 'blue-1');
    expect(state).toMatchObject({ pool: 'blue', inFlight: 1, draining: true, drained: false });

    let drainedAt: number | null = null;
    const waiting = t.router
      .waitDrained({ service: 'shop/beta', instanceIds: ['blue-1'], timeoutMs: 60_000 })
      .then((result) => {
        drainedAt = performance.now();
        return result;
      });
    // Still in flight: nothing reported yet.
    await new Promise((r) => setTimeout(r, 50));
    expect(drainedAt).toBeNull();

    blue.release();
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('blue-1 slow');
    expect(await waiting).toEqual({ drained: ['blue-1'], timedOut: [] });
    expect(drainedAt).not.toBeNull();
    // Drained is only reported once the slow request has been answered.
    expect(blue.requests.length).toBe(1);
    expect(t.router.drainState().find((e) => e.instanceId === 'blue-1')).toMatchObject({
      inFlight: 0,
      openUpstreamSockets: 0,
      drained: true,
    });
    expect(t.observer.forgotten).toEqual(['blue-1']);
  });

  it('moves a keep-alive client to the new pool on its next request, with no error', async () => {
    await t.router.apply(
      config(1, [service([pool('blue', 100, [blue]), pool('green', 0, [green])])]),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      const bodies: string[] = [];
      for (let i = 0; i < 20; i++) {
        if (i === 10) {
          await t.router.apply(
            config(2, [service([pool('blue', 0, [blue]), pool('green', 100, [green])])]),
          );
        }
        const req = get(t.port(), { agent });
        const answer = await req;
        expect(answer.status).toBe(200);
        bodies.push(answer.body);
        for (const list of Object.values(agent.freeSockets))
          for (const s of list ?? []) sockets.add(s);
      }
      expect(bodies.slice(0, 10).every((b) => b === 'blue-1')).toBe(true);
      expect(bodies.slice(10).every((b) => b === 'green-1')).toBe(true);
      // One client connection carried all twenty requests across the switch.
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('keeps a weight-0 pool in the config, not draining, and waitDrained times it out', async () => {
    await t.router.apply(
      config(1, [service([pool('blue', 0, [blue]), pool('green', 1, [green])])]),
    );
    expect(t.router.drainState().find((e) => e.instanceId === 'blue-1')).toMatchObject({
      draining: false,
      drained: false,
    });
    const result = await t.router.waitDrained({
      service: 'shop/beta',
      instanceIds: ['blue-1', 'never-seen'],
      timeoutMs: 100,
    });
    expect(result).toEqual({ drained: ['never-seen'], timedOut: ['blue-1'] });
  });

  it('reports drained at the drain timeout when a request outlives it, cutting that request', async () => {
    await t.router.apply(
      config(1, [service([pool('blue', 100, [blue])], { drainTimeoutMs: 200 })]),
    );
    const slow = get(t.port(), { path: '/slow' }).then(
      (answer) => ({ answer, error: null }),
      (error: unknown) => ({ answer: null, error }),
    );
    await until(() => blue.requests.length === 1);
    await t.router.apply(
      config(2, [service([pool('green', 100, [green])], { drainTimeoutMs: 200 })]),
    );
    const result = await t.router.waitDrained({
      service: 'shop/beta',
      instanceIds: ['blue-1'],
      timeoutMs: 60_000,
    });
    expect(result).toEqual({ drained: ['blue-1'], timedOut: [] });
    const outcome = await slow;
    // The request was cut at the timeout: an error or a proxy failure, never a clean 200.
    expect(outcome.answer === null || outcome.answer.status === 502).toBe(true);
    // Cut by the router itself: not reported as the instance's connect failure.
    expect(t.health.connectFailures).toEqual([]);
  });
});
