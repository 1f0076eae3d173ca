import { describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import { RouterMetrics } from './router-metrics.ts';

const key = { service: 'shop/live', pool: 'canary', instanceId: 'i-1' };
const labels = 'service="shop/live",pool="canary",instance="i-1"';

class FakeClock {
  ms = 1_700_000_000_000;
  now(): number {
    return this.ms;
  }
}

describe('RouterMetrics', () => {
  it('exports request, latency, in-flight, connection, websocket and retry series per instance', async () => {
    const metrics = new RouterMetrics({ clock: new FakeClock() });
    const handle = metrics.forInstance(key);
    handle.connectionOpened();
    handle.requestStarted();
    handle.requestStarted();
    handle.requestFinished(200, 0.004);
    handle.requestFinished(503, 0.2);
    handle.requestStarted(); // still in flight
    handle.websocketOpened();
    handle.requestStarted(); // an attempt that could not connect, retried elsewhere:
    handle.retried(); // it ends here and is not counted as a finished request
    metrics.noUpstream('shop/live');
    metrics.noUpstream('shop/live');

    const text = await metrics.text();
    expect(text).toContain(`switchyard_router_requests_total{${labels},code="2xx"} 1`);
    expect(text).toContain(`switchyard_router_requests_total{${labels},code="5xx"} 1`);
    expect(text).toContain(
      `switchyard_router_request_duration_seconds_bucket{${labels},le="0.005"} 1`,
    );
    expect(text).toContain(
      `switchyard_router_request_duration_seconds_bucket{${labels},le="0.25"} 2`,
    );
    expect(text).toContain(
      `switchyard_router_request_duration_seconds_bucket{${labels},le="+Inf"} 2`,
    );
    expect(text).toContain(`switchyard_router_request_duration_seconds_sum{${labels}} 0.204`);
    expect(text).toContain(`switchyard_router_request_duration_seconds_count{${labels}} 2`);
    expect(text).toContain(`switchyard_router_requests_in_flight{${labels}} 1`);
    expect(text).toContain(`switchyard_router_upstream_connections{${labels}} 1`);
    expect(text).toContain(`switchyard_router_websockets{${labels}} 1`);
    expect(text).toContain(`switchyard_router_retries_total{${labels}} 1`);
    expect(text).toContain('switchyard_router_no_upstream_total{service="shop/live"} 2');
    // Its own registry: nothing leaks into prom-client's global one.
    expect(await globalRegistry.metrics()).not.toContain('switchyard_router');
  });

  it('keeps a handle shared by two holders until both forget it', async () => {
    const metrics = new RouterMetrics({ clock: new FakeClock() });
    const first = metrics.forInstance(key);
    const second = metrics.forInstance(key); // the instance moved address: a new holder, same id
    expect(second).toBe(first);
    metrics.forget(key);
    second.requestFinished(200, 0.01);
    expect(await metrics.text()).toContain(
      `switchyard_router_requests_total{${labels},code="2xx"} 1`,
    );
    expect(metrics.window({ service: 'shop/live', pool: 'canary' }).requests).toBe(1);
    metrics.forget(key);
    expect(await metrics.text()).not.toContain('instance="i-1"');
  });

  it('hands out one cached handle per instance and feeds the pool window', () => {
    const metrics = new RouterMetrics({ clock: new FakeClock() });
    expect(metrics.forInstance(key)).toBe(metrics.forInstance({ ...key }));
    const other = metrics.forInstance({ ...key, instanceId: 'i-2' });
    metrics.forInstance(key).requestFinished(200, 0.01);
    other.requestFinished(500, 0.01);
    other.requestFinished(404, 0.01);
    expect(metrics.window({ service: 'shop/live', pool: 'canary' })).toMatchObject({
      requests: 3,
      errors: 1,
      successRate: 2 / 3,
    });
    expect(metrics.window({ service: 'shop/live', pool: 'stable' })).toMatchObject({
      requests: 0,
      successRate: null,
    });
  });

  it('drops an instance’s series when it is forgotten, and the pool window with its last instance', async () => {
    const metrics = new RouterMetrics({ clock: new FakeClock() });
    const first = metrics.forInstance(key);
    const second = metrics.forInstance({ ...key, instanceId: 'i-2' });
    first.requestFinished(200, 0.01);
    second.requestFinished(200, 0.01);
    metrics.forget(key);
    expect(await metrics.text()).not.toContain('instance="i-1"');
    expect(await metrics.text()).toContain('instance="i-2"');
    expect(metrics.window({ service: 'shop/live', pool: 'canary' }).requests).toBe(2);
    metrics.forget({ ...key, instanceId: 'i-2' });
    expect(metrics.window({ service: 'shop/live', pool: 'canary' }).requests).toBe(0);
  });

  it('uses the configured window length', () => {
    const clock = new FakeClock();
    const metrics = new RouterMetrics({ clock, windowSeconds: 5 });
    metrics.forInstance(key).requestFinished(200, 0.01);
    clock.ms += 5000;
    expect(metrics.window({ service: 'shop/live', pool: 'canary' }).requests).toBe(0);
    expect(metrics.window({ service: 'shop/live', pool: 'canary', seconds: 600 }).seconds).toBe(5);
  });

  it('answers a span of complete seconds for a known pool and, as zeros, for an unknown one', () => {
    const clock = new FakeClock();
    const metrics = new RouterMetrics({ clock, windowSeconds: 10 });
    const now = clock.ms / 1000;
    metrics.forInstance(key).requestFinished(200, 0.3);
    clock.ms += 1000;
    metrics.forInstance(key).requestFinished(200, 0.01); // the current second: not complete yet
    expect(
      metrics.window({ service: 'shop/live', pool: 'canary', to: 'latest', slowerThanMs: 100 }),
    ).toMatchObject({ from: now - 9, to: now, seconds: 10, requests: 1, slow: 1 });
    expect(metrics.window({ service: 'shop/live', pool: 'stable', from: now - 100 })).toEqual({
      seconds: 10,
      from: now - 9,
      to: now,
      requests: 0,
      errors: 0,
      slow: 0,
      successRate: null,
      p50: null,
      p95: null,
      p99: null,
      rps: 0,
    });
  });
});
