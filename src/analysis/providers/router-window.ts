/**
 * The router's own per-pool window (DESIGN.md, analysis/): successRate,
 * errorRate, latencyP50/P95/P99 and requestRate read one pool's traffic;
 * compareWithStable reads the canary and the stable pool over the very same
 * seconds. Spans are complete seconds only, and each interval starts after
 * the last second the previous one consumed, so no request is judged twice.
 */
import type { WindowQuery, WindowStats } from '../../router/admin/types.ts';
import { slowThreshold } from '../compare.ts';
import type { Observation, PoolSample } from '../types.ts';
import { abortable } from './deadline.ts';
import { describeFailure, errorObservation } from './failure.ts';

/**
 * Where windows come from: the router admin API (RouterAdminClient has this
 * method), or a fake in tests.
 */
export interface WindowSource {
  window(query: WindowQuery): Promise<WindowStats>;
}

/** Which seconds one interval measures. */
export interface SpanRequest {
  /**
   * The last second the previous interval consumed (its `throughSecond`):
   * this one measures every complete second after it. Null for the first
   * interval, which measures the last `seconds` complete seconds.
   */
  readonly afterSecond: number | null;
  readonly seconds: number;
}

export interface WindowMeasurement {
  readonly observation: Observation;
  /**
   * The last second measured: the next interval's `afterSecond`. When
   * nothing was measured (an error, or no second completed since) it is the
   * `afterSecond` given, so those seconds are measured next time.
   */
  readonly throughSecond: number | null;
}

export interface PoolWindowOptions {
  readonly source: WindowSource;
  /** The router's name for the service: `<service>/<environment>`. */
  readonly routerService: string;
  /** The judged pool (the canary, or blue/green's preview pool). */
  readonly pool: string;
  readonly span: SpanRequest;
  readonly signal?: AbortSignal;
}

export interface ComparisonOptions extends PoolWindowOptions {
  readonly stablePool: string;
}

/** One pool's traffic over the span: `{ kind: 'window' }`. */
export async function observePoolWindow(options: PoolWindowOptions): Promise<WindowMeasurement> {
  const unchanged = options.span.afterSecond;
  const read = await readWindow(options, options.pool, spanQuery(options.span));
  if (!read.ok) return { observation: read.observation, throughSecond: unchanged };
  if (read.stats.seconds === 0) return { observation: noWholeSecond(), throughSecond: unchanged };
  return {
    observation: { kind: 'window', sample: sampleOf(read.stats) },
    throughSecond: consumed(read.stats, unchanged),
  };
}

/**
 * The canary and the stable pool over the same seconds, `{ kind:
 * 'comparison' }`. The stable pool is read first: its answer fixes the
 * seconds (`from..to`) and the latency threshold (its p95 plus a margin, ../compare.ts); then both pools
 * are read over exactly those seconds, counting requests slower than that.
 */
export async function observeComparison(options: ComparisonOptions): Promise<WindowMeasurement> {
  const unchanged = options.span.afterSecond;
  const failed = (observation: Observation): WindowMeasurement => ({
    observation,
    throughSecond: unchanged,
  });
  const first = await readWindow(options, options.stablePool, spanQuery(options.span));
  if (!first.ok) return failed(first.observation);
  const { from, to, p95 } = first.stats;
  if (first.stats.seconds === 0) return failed(noWholeSecond());
  const threshold = p95 === null ? null : slowThreshold(p95);
  const exact: WindowSpanOnly = {
    from,
    to,
    ...(threshold === null ? {} : { slowerThanMs: threshold }),
  };
  const [canary, stable] = await Promise.all([
    readWindow(options, options.pool, exact),
    // Without a threshold stable's first answer is already complete (slow is 0).
    p95 === null ? first : readWindow(options, options.stablePool, exact),
  ]);
  if (!canary.ok) return failed(canary.observation);
  if (!stable.ok) return failed(stable.observation);
  for (const [pool, stats] of [
    [options.pool, canary.stats],
    [options.stablePool, stable.stats],
  ] as const) {
    if (stats.from !== from || stats.to !== to)
      return failed(
        errorObservation(
          `The router measured seconds ${stats.from}–${stats.to} for pool ${pool} of ${options.routerService} instead of ${from}–${to}: the span left its window while being read. The next interval measures again.`,
        ),
      );
  }
  return {
    observation: {
      kind: 'comparison',
      canary: sampleOf(canary.stats),
      stable: sampleOf(stable.stats),
      slowThresholdMs: threshold,
    },
    throughSecond: to,
  };
}

type WindowSpanOnly = Omit<WindowQuery, 'service' | 'pool'>;

/** The query for an interval: complete seconds only (`to` is given, so the router leaves out the second still filling). */
export function spanQuery(span: SpanRequest): WindowSpanOnly {
  return span.afterSecond === null
    ? { to: 'latest', seconds: span.seconds }
    : { from: span.afterSecond + 1, to: 'latest' };
}

function sampleOf(stats: WindowStats): PoolSample {
  return {
    requests: stats.requests,
    errors: stats.errors,
    slow: stats.slow,
    p50: stats.p50,
    p95: stats.p95,
    p99: stats.p99,
    rps: stats.rps,
    seconds: stats.seconds,
  };
}

/** The last second an answer covered, or the previous one when it covered none. */
function consumed(stats: WindowStats, previous: number | null): number | null {
  return stats.seconds > 0 ? stats.to : previous;
}

type Read = { ok: true; stats: WindowStats } | { ok: false; observation: Observation };

async function readWindow(
  options: PoolWindowOptions,
  pool: string,
  span: WindowSpanOnly,
): Promise<Read> {
  const where = `pool ${pool} of ${options.routerService}`;
  let stats: WindowStats;
  try {
    stats = await abortable(
      options.source.window({ service: options.routerService, pool, ...span }),
      options.signal,
    );
  } catch (error) {
    const cancelled = options.signal?.aborted ?? false;
    return {
      ok: false,
      observation: errorObservation(
        cancelled
          ? `Reading the router's window for ${where} was cancelled.`
          : `Cannot read the router's window for ${where}: ${describeFailure(error)}.`,
      ),
    };
  }
  // A router started before spans existed ignores `from`/`to` and answers a live view.
  if (typeof stats.from !== 'number' || typeof stats.to !== 'number')
    return {
      ok: false,
      observation: errorObservation(
        `The router answered the window for ${where} without the seconds it covers: it is older than this controller. Restart it (switchyard down, then switchyard up) to measure spans.`,
      ),
    };
  return { ok: true, stats };
}

function noWholeSecond(): Observation {
  return {
    kind: 'pending',
    detail: 'The router has no complete second since the last interval yet.',
  };
}
