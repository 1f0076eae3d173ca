import { describe, expect, it } from 'vitest';
import { useLoopbackServers } from '../../../test/support/loopback-server.ts';
import type { WindowQuery } from '../../router/admin/types.ts';
import { RouterMetrics } from '../../router/metrics/router-metrics.ts';
import type { DurationString } from '../../spec/duration.ts';
import type { MetricSpec } from '../../spec/schema/analysis.ts';
import { metricKind } from '../thresholds.ts';
import { observe, observeInterval, observeTemplate, type ObserveContext } from './observe.ts';

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;
/** A duration as the resolved spec holds it. */
const duration = (text: string) => text as DurationString;

const serve = useLoopbackServers();

function context(overrides: Partial<ObserveContext> = {}): {
  context: ObserveContext;
  queries: WindowQuery[];
} {
  const metrics = new RouterMetrics({ clock: { now: () => NOW_MS } });
  for (const pool of ['stable', 'canary']) {
    const instance = metrics.forInstance({ service: 'shop/live', pool, instanceId: pool });
    instance.requestFinished(200, 0.01); // the current second: not complete, not measured
  }
  const queries: WindowQuery[] = [];
  return {
    queries,
    context: {
      service: 'shop',
      environment: 'live',
      revision: 4,
      version: '1.1.0',
      pool: 'canary',
      stablePool: 'stable',
      template: 'errors',
      metricIndex: 0,
      window: {
        window: async (query) => {
          queries.push(query);
          return metrics.window(query);
        },
      },
      span: { afterSecond: NOW - 11, seconds: 10 },
      commandEnv: { PATH: process.env['PATH'] },
      ...overrides,
    },
  };
}

/** An HTTP server that never answers. */
function silentServer(): Promise<string> {
  return serve(() => undefined);
}

describe('observe', () => {
  it('knows a metric by its key', () => {
    expect(metricKind({ successRate: { min: 0.99 } })).toBe('successRate');
    expect(metricKind({ command: { run: 'true' } })).toBe('command');
    expect(() => metricKind({})).toThrow(/exactly one kind/);
  });

  it('reads the judged pool’s window for the router metrics, over the span asked for', async () => {
    for (const metric of [
      { successRate: { min: 0.99 } },
      { errorRate: { max: 0.01 } },
      { latencyP50: { max: duration('1s') } },
      { latencyP95: { max: duration('1s') } },
      { latencyP99: { max: duration('1s') } },
      { requestRate: { min: 1 } },
    ] satisfies MetricSpec[]) {
      const { context: ctx, queries } = context();
      expect(await observeInterval(metric, ctx)).toEqual({
        observation: {
          kind: 'window',
          sample: expect.objectContaining({ requests: 0, seconds: 10 }),
        },
        throughSecond: NOW - 1,
      });
      expect(queries).toEqual([
        { service: 'shop/live', pool: 'canary', from: NOW - 10, to: 'latest' },
      ]);
    }
  });

  it('asks the other metrics of a template only once the router has a complete second', async () => {
    let calls = 0;
    const url = await serve((_req, res) => {
      calls++;
      res.end('{}');
    });
    const metrics: MetricSpec[] = [{ webhook: { url } }, { successRate: { min: 0.99 } }];
    // No complete second after NOW - 1: pending, and the webhook is not called.
    const waiting = context({ span: { afterSecond: NOW - 1, seconds: 10 } }).context;
    const pending = await observeTemplate(metrics, () => waiting);
    expect(pending.map((result) => result.observation.kind)).toEqual(['pending', 'pending']);
    expect(calls).toBe(0);
    // A complete span: both are observed, in the template's order.
    const measured = await observeTemplate(metrics, () => context().context);
    expect(measured.map((result) => result.observation.kind)).toEqual(['pass', 'window']);
    expect(calls).toBe(1);
  });

  it('compares with the stable pool, or says there is none', async () => {
    const metric: MetricSpec = {
      compareWithStable: { errorRate: true, latency: true, confidence: 0.99, minRequests: 20 },
    };
    const { context: ctx, queries } = context();
    expect(await observe(metric, ctx)).toMatchObject({ kind: 'comparison', slowThresholdMs: null });
    expect(queries.map((q) => q.pool)).toEqual(['stable', 'canary']);
    const alone = context({ stablePool: null });
    expect(await observeInterval(metric, alone.context)).toEqual({
      observation: {
        kind: 'error',
        message:
          'compareWithStable in template errors needs a stable pool to compare pool canary of shop/live with, and there is none.',
      },
      throughSecond: NOW - 11,
    });
    expect(alone.queries).toEqual([]);
  });

  it('runs a command with the rollout in its environment', async () => {
    const { context: ctx } = context();
    const metric: MetricSpec = {
      command: {
        run: 'test "$SWITCHYARD_SERVICE/$SWITCHYARD_ENV/$SWITCHYARD_POOL/$SWITCHYARD_REVISION/$SWITCHYARD_STABLE_POOL" = shop/live/canary/4/stable',
        timeout: duration('5s'),
      },
    };
    expect(await observeInterval(metric, ctx)).toEqual({
      observation: { kind: 'pass', pass: true, detail: expect.stringContaining('exited 0') },
      throughSecond: NOW - 11, // a command reads no router seconds
    });
  });

  it('uses a webhook’s own timeout, unless the context overrides it', async () => {
    const url = await silentServer();
    const metric: MetricSpec = { webhook: { url, timeout: duration('150ms') } };
    expect(await observe(metric, context().context)).toEqual({
      kind: 'error',
      message: `The webhook ${url} timed out after 150ms.`,
    });
    expect(await observe(metric, context({ fetchTimeoutMs: 100 }).context)).toEqual({
      kind: 'error',
      message: `The webhook ${url} timed out after 100ms.`,
    });
  });

  it('asks Prometheus with the context’s timeout', async () => {
    const address = await silentServer();
    const metric: MetricSpec = { prometheus: { query: 'up', min: 1, address } };
    expect(await observe(metric, context({ fetchTimeoutMs: 100 }).context)).toEqual({
      kind: 'error',
      message: `The query to Prometheus at ${address} timed out after 100ms.`,
    });
  });

  it('turns anything unexpected into an error measurement, never a throw', async () => {
    const { context: ctx } = context();
    expect(await observe({}, ctx)).toEqual({
      kind: 'error',
      message:
        'Metric 0 of template errors names no kind of metric; give it one, e.g. successRate.',
    });
    // A spec that skipped validation: its timeout is not a duration.
    expect(
      await observe({ webhook: { url: 'http://127.0.0.1:9/', timeout: duration('soon') } }, ctx),
    ).toEqual({
      kind: 'error',
      message: expect.stringMatching(
        /^The webhook metric of template errors failed unexpectedly: /,
      ),
    });
  });
});
