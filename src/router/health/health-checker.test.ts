import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { routerService, type RouterConfig, type RouterHealthCheck } from '../config.ts';
import { FakeScheduler } from './fake-scheduler.ts';
import { HealthChecker, type HealthChange } from './health-checker.ts';

/** A real upstream on port 0 whose health answer a test sets. */
interface Upstream {
  readonly port: number;
  status: number | 'hang';
  requests: number;
  close(): Promise<void>;
}

async function startUpstream(status: number | 'hang' = 200): Promise<Upstream> {
  const server = http.createServer((request, response) => {
    upstream.requests++;
    if (upstream.status === 'hang') return; // never answers: the probe must time out
    response.statusCode = upstream.status;
    if (upstream.status >= 300 && upstream.status < 400)
      response.setHeader('location', '/elsewhere');
    response.end(upstream.status === 204 ? undefined : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: Upstream = {
    port: (server.address() as AddressInfo).port,
    status,
    requests: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}

const check: RouterHealthCheck = {
  path: '/healthz',
  intervalMs: 1000,
  timeoutMs: 200,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
};

function configFor(instances: Array<{ id: string; port: number }>, generation = 1): RouterConfig {
  return {
    generation,
    services: [
      routerService({
        name: 'shop/live',
        listen: { port: 8080 },
        pools: [
          {
            name: 'stable',
            weight: 100,
            instances: instances.map((i) => ({ id: i.id, host: '127.0.0.1', port: i.port })),
          },
        ],
        healthCheck: check,
        drainTimeoutMs: 1000,
      }),
    ],
  };
}

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

async function setUp(status: number | 'hang' = 200) {
  const upstream = await startUpstream(status);
  const scheduler = new FakeScheduler();
  const checker = new HealthChecker({ scheduler });
  opened.push(upstream, checker);
  const changes: HealthChange[] = [];
  checker.onChange((change) => changes.push(change));
  /** Move fake time on and let the probes it started finish over real HTTP. */
  const tick = async (ms = check.intervalMs) => {
    scheduler.advance(ms);
    await checker.idle();
  };
  /** Check instance "a" on the upstream, and wait for the first probe (it runs at once). */
  const watchA = async () => {
    checker.apply(configFor([{ id: 'a', port: upstream.port }]));
    await checker.idle();
  };
  return { upstream, scheduler, checker, changes, tick, watchA };
}

describe('HealthChecker', () => {
  it('starts a new instance unhealthy and marks it healthy after healthyThreshold passes', async () => {
    const { upstream, checker, changes, tick } = await setUp(200);
    checker.apply(configFor([{ id: 'a', port: upstream.port }]));
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    await checker.idle(); // the first probe runs at once
    expect(upstream.requests).toBe(1);
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    await tick();
    expect(upstream.requests).toBe(2);
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    expect(changes).toEqual([
      {
        service: 'shop/live',
        instanceId: 'a',
        healthy: true,
        reason: 'passed',
        detail: 'status 200',
      },
    ]);
  });

  it('counts 204 as healthy', async () => {
    const { checker, tick, watchA } = await setUp(204);
    await watchA();
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
  });

  it('does not follow redirects and does not count 3xx as healthy', async () => {
    const { upstream, checker, tick, watchA } = await setUp(302);
    await watchA();
    await tick();
    await tick();
    expect(upstream.requests).toBe(3); // one request per probe: no redirect followed
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    expect(checker.snapshot()[0]?.detail).toBe('status 302 (redirects are not healthy)');
  });

  it('marks a healthy instance unhealthy after unhealthyThreshold failures, not before', async () => {
    const { upstream, checker, changes, tick, watchA } = await setUp(200);
    await watchA();
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    upstream.status = 503;
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    expect(changes.at(-1)).toMatchObject({
      healthy: false,
      reason: 'failed',
      detail: 'status 503',
    });
  });

  it('a pass between failures resets the failure count', async () => {
    const { upstream, checker, tick, watchA } = await setUp(200);
    await watchA();
    await tick();
    for (const status of [500, 200, 500, 200]) {
      upstream.status = status;
      await tick();
      expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    }
  });

  it('treats a probe that outlives timeoutMs as a failure', async () => {
    const { upstream, scheduler, checker, tick, watchA } = await setUp(200);
    await watchA();
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    upstream.status = 'hang';
    for (let i = 0; i < 2; i++) {
      scheduler.advance(check.intervalMs); // starts the probe
      await waitFor(() => upstream.requests === 3 + i); // the upstream has it
      await tick(check.timeoutMs); // and the timeout ends it
    }
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    expect(checker.snapshot()[0]?.detail).toBe('timeout after 200ms');
  });

  it('counts a refused connection as a failure', async () => {
    const { upstream, checker, tick, watchA } = await setUp(200);
    await watchA();
    await tick();
    await upstream.close();
    await tick();
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    expect(checker.snapshot()[0]?.detail).toBe('ECONNREFUSED');
  });

  it('ejects an instance at once on a connect failure and restores it after healthyThreshold passes', async () => {
    const { checker, changes, tick, watchA } = await setUp(200);
    await watchA();
    await tick();
    checker.reportConnectFailure('shop/live', 'a');
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    expect(changes.at(-1)).toMatchObject({ healthy: false, reason: 'ejected' });
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    expect(changes.map((c) => c.reason)).toEqual(['passed', 'ejected', 'passed']);
  });

  it('trusts a restored healthy instance at once, probes it immediately and drops it on failures', async () => {
    const { upstream, checker, changes, tick } = await setUp(500);
    const other = await startUpstream(200);
    opened.push(other);
    checker.apply(
      configFor([
        { id: 'a', port: upstream.port },
        { id: 'b', port: other.port },
      ]),
      { trusted: { 'shop/live': ['a'] } },
    );
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    expect(checker.isHealthy('shop/live', 'b')).toBe(false); // not in the snapshot: starts unhealthy
    expect(checker.snapshot().find((e) => e.instanceId === 'a')?.reason).toBe('restored');
    await checker.idle();
    expect(upstream.requests).toBe(1); // probed without waiting an interval
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    expect(changes).toContainEqual({
      service: 'shop/live',
      instanceId: 'a',
      healthy: false,
      reason: 'failed',
      detail: 'status 500',
    });
  });

  it('stops probing instances that leave the config and reports healthy ids for saving', async () => {
    const { upstream, scheduler, checker, tick } = await setUp(200);
    const other = await startUpstream(200);
    opened.push(other);
    checker.apply(
      configFor([
        { id: 'a', port: upstream.port },
        { id: 'b', port: other.port },
      ]),
    );
    await checker.idle();
    await tick();
    expect(checker.healthyInstances()).toEqual({ 'shop/live': ['a', 'b'] });
    checker.apply(configFor([{ id: 'b', port: other.port }], 2));
    const before = upstream.requests;
    await tick();
    await tick();
    expect(upstream.requests).toBe(before);
    expect(checker.healthyInstances()).toEqual({ 'shop/live': ['b'] });
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    checker.apply({ generation: 3, services: [] });
    expect(scheduler.pending()).toBe(0);
    expect(checker.snapshot()).toEqual([]);
  });

  it('treats an instance id that moved to a new address as a new instance', async () => {
    const { checker, tick, watchA } = await setUp(200);
    const moved = await startUpstream(200);
    opened.push(moved);
    await watchA();
    await tick();
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
    checker.apply(configFor([{ id: 'a', port: moved.port }], 2));
    expect(checker.isHealthy('shop/live', 'a')).toBe(false);
    await checker.idle();
    await tick();
    expect(moved.requests).toBe(2);
    expect(checker.isHealthy('shop/live', 'a')).toBe(true);
  });
});

/** Polls a condition that real I/O will make true (no time bound: the test timeout is the bound). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
