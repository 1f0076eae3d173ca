import { describe, expect, it } from 'vitest';
import type { WindowQuery, WindowStats } from '../../router/admin/types.ts';
import { RouterMetrics } from '../../router/metrics/router-metrics.ts';
import {
  observeComparison,
  observePoolWindow,
  type SpanRequest,
  type WindowSource,
} from './router-window.ts';

const SERVICE = 'shop/live';
const START_MS = 1_700_000_000_000;
const NOW = START_MS / 1000;

/**
 * A WindowSource over the router's real per-pool windows on a fake clock:
 * the same span rules as the admin API, without a router process. It logs
 * each query, so tests can check what the provider asked, and in what order.
 */
class FakeRouter implements WindowSource {
  ms = START_MS;
  readonly metrics = new RouterMetrics({ clock: { now: () => this.ms }, windowSeconds: 60 });
  readonly queries: WindowQuery[] = [];

  async window(query: WindowQuery): Promise<WindowStats> {
    this.queries.push(query);
    return this.metrics.window(query);
  }

  /** `count` requests to the pool in the current second, each taking `ms`, `errors` of them 500. */
  send(pool: string, count: number, options: { ms?: number; errors?: number } = {}): void {
    const instance = this.metrics.forInstance({ service: SERVICE, pool, instanceId: `${pool}-1` });
    for (let i = 0; i < count; i++)
      instance.requestFinished(i < (options.errors ?? 0) ? 500 : 200, (options.ms ?? 10) / 1000);
  }

  tick(seconds = 1): void {
    this.ms += seconds * 1000;
  }
}

const first: SpanRequest = { afterSecond: null, seconds: 5 };

/** What each test reads: the canary pool of SERVICE from `source`, over `span`. */
function canaryWindow(source: WindowSource, span: SpanRequest = first) {
  return { source, routerService: SERVICE, pool: 'canary', span };
}

/** The canary compared with the pool `stable` over `span`. */
function compareCanary(source: WindowSource, span: SpanRequest = first) {
  return observeComparison({ ...canaryWindow(source, span), stablePool: 'stable' });
}

describe('observePoolWindow', () => {
  it('measures the last complete seconds first, then each second after the last one consumed', async () => {
    const router = new FakeRouter();
    for (let second = 0; second < 8; second++) {
      router.send('canary', 10, { errors: 1 });
      router.tick();
    }
    router.send('canary', 99); // the current second: still filling, not measured
    const one = await observePoolWindow(canaryWindow(router));
    expect(one).toEqual({
      observation: {
        kind: 'window',
        sample: {
          requests: 50,
          errors: 5,
          slow: 0,
          p50: expect.closeTo(10, 0),
          p95: expect.closeTo(10, 0),
          p99: expect.closeTo(10, 0),
          rps: 10,
          seconds: 5,
        },
      },
      throughSecond: NOW + 7,
    });
    expect(router.queries).toEqual([
      { service: SERVICE, pool: 'canary', to: 'latest', seconds: 5 },
    ]);

    router.tick(); // the 99 requests' second is complete now
    router.send('canary', 7);
    router.tick();
    const two = await observePoolWindow(
      canaryWindow(router, { afterSecond: one.throughSecond, seconds: 5 }),
    );
    expect(router.queries[1]).toEqual({
      service: SERVICE,
      pool: 'canary',
      from: NOW + 8,
      to: 'latest',
    });
    expect(two.observation).toMatchObject({
      kind: 'window',
      sample: { requests: 106, seconds: 2 },
    });
    expect(two.throughSecond).toBe(NOW + 9);
  });

  it('measures nothing, and consumes nothing, when no second has completed since the last', async () => {
    const router = new FakeRouter();
    router.send('canary', 5);
    const measured = await observePoolWindow(
      canaryWindow(router, { afterSecond: NOW - 1, seconds: 5 }),
    );
    // Pending, not an empty window: an empty span is no evidence of "no traffic".
    expect(measured).toEqual({
      observation: {
        kind: 'pending',
        detail: 'The router has no complete second since the last interval yet.',
      },
      throughSecond: NOW - 1,
    });
  });

  it('turns a router that cannot be read into an error naming the pool and the service', async () => {
    const source: WindowSource = {
      window: () =>
        Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED /tmp/x/admin.sock'), {
            code: 'ECONNREFUSED',
          }),
        ),
    };
    const measured = await observePoolWindow(
      canaryWindow(source, { afterSecond: NOW, seconds: 5 }),
    );
    expect(measured).toEqual({
      observation: {
        kind: 'error',
        message: "Cannot read the router's window for pool canary of shop/live: ECONNREFUSED.",
      },
      throughSecond: NOW,
    });
  });

  it('says so when the router is too old to answer spans', async () => {
    const source: WindowSource = {
      window: async () =>
        ({
          seconds: 5,
          requests: 1,
          errors: 0,
          successRate: 1,
          p50: 1,
          p95: 1,
          p99: 1,
          rps: 0.2,
        }) as unknown as WindowStats,
    };
    const measured = await observePoolWindow(canaryWindow(source));
    expect(measured.observation).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('Restart it (switchyard down, then switchyard up)'),
    });
    expect(measured.throughSecond).toBeNull();
  });

  it('stops waiting for the router when the run is cancelled', async () => {
    const controller = new AbortController();
    const source: WindowSource = { window: () => new Promise(() => undefined) };
    const pending = observePoolWindow({ ...canaryWindow(source), signal: controller.signal });
    controller.abort();
    expect((await pending).observation).toEqual({
      kind: 'error',
      message: "Reading the router's window for pool canary of shop/live was cancelled.",
    });
  });
});

describe('observeComparison', () => {
  it('reads stable first, then both pools over the same seconds, slow meaning slower than stable’s p95', async () => {
    const router = new FakeRouter();
    for (let second = 0; second < 6; second++) {
      router.send('stable', 95, { ms: 10 });
      router.send('stable', 5, { ms: 40 }); // stable's slowest 5%
      router.send('canary', 10, { ms: 10, errors: 1 });
      router.send('canary', 10, { ms: 200 }); // half the canary is slow
      router.tick();
    }
    const measured = await compareCanary(router);
    const span = { from: NOW + 1, to: NOW + 5 };
    const p95 = router.metrics.window({ service: SERVICE, pool: 'stable', ...span }).p95!;
    expect(p95).toBeCloseTo(10, 0);
    const threshold = p95 * 1.2 + 5;
    expect(router.queries).toEqual([
      { service: SERVICE, pool: 'stable', to: 'latest', seconds: 5 },
      { service: SERVICE, pool: 'canary', ...span, slowerThanMs: threshold },
      { service: SERVICE, pool: 'stable', ...span, slowerThanMs: threshold },
    ]);
    expect(measured).toEqual({
      observation: {
        kind: 'comparison',
        canary: expect.objectContaining({ requests: 100, errors: 5, slow: 50, seconds: 5 }),
        stable: expect.objectContaining({ requests: 500, errors: 0, slow: 25, seconds: 5 }),
        slowThresholdMs: threshold,
      },
      throughSecond: NOW + 5,
    });
  });

  it('has no latency threshold when stable had no requests', async () => {
    const router = new FakeRouter();
    router.send('canary', 10, { ms: 500 });
    router.tick();
    const measured = await compareCanary(router);
    expect(measured.observation).toMatchObject({
      kind: 'comparison',
      canary: { requests: 10, slow: 0 },
      stable: { requests: 0, slow: 0, p95: null },
      slowThresholdMs: null,
    });
    expect(router.queries.map((q) => q.pool)).toEqual(['stable', 'canary']);
  });

  it('compares nothing, and consumes nothing, before a new second completes', async () => {
    const router = new FakeRouter();
    router.send('stable', 10);
    router.send('canary', 10);
    const measured = await compareCanary(router, { afterSecond: NOW - 1, seconds: 5 });
    expect(measured).toMatchObject({
      observation: { kind: 'pending' },
      throughSecond: NOW - 1,
    });
    expect(router.queries).toHaveLength(1);
  });

  it('is an error when the router answers other seconds for the canary', async () => {
    const router = new FakeRouter();
    router.send('stable', 10);
    router.tick(2);
    const shifted: WindowSource = {
      window: async (query) => {
        const stats = await router.window(query);
        return query.pool === 'canary' ? { ...stats, from: stats.from + 1 } : stats;
      },
    };
    const measured = await compareCanary(shifted, { afterSecond: NOW - 5, seconds: 5 });
    expect(measured.observation).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(
        /^The router measured seconds .* for pool canary of shop\/live instead of/,
      ),
    });
    expect(measured.throughSecond).toBe(NOW - 5);
  });
});
