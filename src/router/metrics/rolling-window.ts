import type { Clock } from './clock.ts';
import {
  LATENCY_BUCKET_COUNT,
  latencyBucketIndex,
  latencyBucketMillis,
  latencyQuantileMillis,
} from './latency-histogram.ts';

export interface WindowStats {
  /** The span the numbers cover, in seconds (never more than the window holds; 0 for an empty span). */
  readonly seconds: number;
  /** The first and last second covered (epoch seconds, inclusive); `from` is `to + 1` for an empty span. */
  readonly from: number;
  readonly to: number;
  readonly requests: number;
  /**
   * 5xx answers, including the router's own 502 and 504 when proxying to an
   * instance of the pool failed. A 503 for lack of a healthy instance belongs
   * to no pool and is not here (only in switchyard_router_no_upstream_total).
   */
  readonly errors: number;
  /** Requests slower than the `slowerThanMs` asked for (0 when not asked). */
  readonly slow: number;
  /** (requests − errors) / requests; null with no requests. 4xx count as successes. */
  readonly successRate: number | null;
  /** Latency percentiles in milliseconds, within LATENCY_RELATIVE_PRECISION; null with no requests. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Requests per second over the span (0 with no requests: nothing arrived). */
  readonly rps: number;
}

/**
 * Which seconds to measure. With neither `from` nor `to`, the last `seconds`
 * including the current, partial one (a live view). With either, complete
 * seconds only, so that consecutive spans count each second once and two
 * pools can be measured over the very same seconds (analysis).
 */
export interface WindowSpanQuery {
  /** How many seconds; default: the whole window. Ignored when `from` is given. */
  readonly seconds?: number;
  /** First second (epoch seconds, inclusive); default `to − seconds + 1`. */
  readonly from?: number;
  /** Last second (epoch seconds, inclusive), capped at the last complete one; `latest` names that one. */
  readonly to?: number | 'latest';
  /** Also count the requests slower than this many milliseconds (`slow`). */
  readonly slowerThanMs?: number;
}

/** A resolved span: whole epoch seconds, inclusive; empty when `from > to`. */
export interface WindowSpan {
  readonly from: number;
  readonly to: number;
}

export const DEFAULT_WINDOW_SECONDS = 60;

/** The span asked for, in whole seconds, at least 1 and at most `capacity`. */
export function windowSpan(seconds: number, capacity: number): number {
  return Math.max(1, Math.min(Math.floor(seconds), capacity));
}

/**
 * The seconds a query covers at `nowSecond` in a window of `capacity`
 * seconds. A span of complete seconds is clipped to the `capacity` complete
 * seconds the window keeps (the ring holds one more bucket for the current
 * second), and never reaches the current second, which is still filling.
 */
export function resolveSpan(
  query: WindowSpanQuery,
  nowSecond: number,
  capacity: number,
): WindowSpan {
  if (query.from === undefined && query.to === undefined) {
    const span = windowSpan(query.seconds ?? capacity, capacity);
    return { from: nowSecond - span + 1, to: nowSecond };
  }
  const lastComplete = nowSecond - 1;
  const to =
    query.to === undefined || query.to === 'latest'
      ? lastComplete
      : Math.min(query.to, lastComplete);
  const from = query.from ?? to - windowSpan(query.seconds ?? capacity, capacity) + 1;
  const oldestKept = nowSecond - capacity;
  // An empty span (nothing complete after `from` yet) stays empty, as from = to + 1.
  return { from: Math.min(Math.max(from, oldestKept), to + 1), to };
}

/** The stats of a span with no requests: zeros, and nulls where there is nothing to measure. */
export function noTraffic(span: WindowSpan): WindowStats {
  return {
    seconds: spanSeconds(span),
    from: span.from,
    to: span.to,
    requests: 0,
    errors: 0,
    slow: 0,
    successRate: null,
    p50: null,
    p95: null,
    p99: null,
    rps: 0,
  };
}

function spanSeconds(span: WindowSpan): number {
  return Math.max(0, span.to - span.from + 1);
}

/**
 * How many of the samples counted in `counts` are slower than `thresholdMs`,
 * judging each by the value its bucket stands for — the value percentiles
 * report — so a threshold taken from one pool's p95 counts at most about 5%
 * of that pool's own requests as slow.
 */
export function countSlowerThan(counts: Uint32Array, thresholdMs: number): number {
  let slow = 0;
  for (let index = counts.length - 1; index >= 0; index--) {
    if (latencyBucketMillis(index) <= thresholdMs) break;
    slow += counts[index] ?? 0;
  }
  return slow;
}

/** One second of traffic. Reset in place when the ring comes round to it again. */
class SecondBucket {
  second = -1;
  requests = 0;
  errors = 0;
  readonly latency = new Uint32Array(LATENCY_BUCKET_COUNT);

  reset(second: number): void {
    this.second = second;
    this.requests = 0;
    this.errors = 0;
    this.latency.fill(0);
  }
}

/**
 * The last N seconds of one pool's traffic, as a ring of per-second buckets,
 * each with request and error counters and a fixed log-linear latency
 * histogram — so percentiles come without keeping every sample, in memory
 * bounded by N (about 1.9 KB a second). The ring has one bucket more than N,
 * so the last N complete seconds are all still there while the current one
 * fills.
 *
 * A 4xx is the client's mistake, not the version's: it counts as a success.
 * Only 5xx (including the router's own 502 and 504 for the pool's instances)
 * count against a version; the router's 503 for lack of a healthy instance is
 * counted in no pool.
 */
export class RollingWindow {
  readonly capacitySeconds: number;
  private readonly clock: Clock;
  private readonly ring: SecondBucket[];
  private firstSecond = -1;

  constructor(options: { clock: Clock; seconds?: number }) {
    this.clock = options.clock;
    this.capacitySeconds = options.seconds ?? DEFAULT_WINDOW_SECONDS;
    if (!Number.isInteger(this.capacitySeconds) || this.capacitySeconds < 1)
      throw new RangeError(
        `The rolling window must hold a whole number of seconds ≥ 1, not ${this.capacitySeconds}.`,
      );
    this.ring = Array.from({ length: this.capacitySeconds + 1 }, () => new SecondBucket());
  }

  record(status: number, durationSeconds: number): void {
    const second = this.nowSecond();
    if (this.firstSecond < 0) this.firstSecond = second;
    const bucket = this.ring[second % this.ring.length]!;
    if (bucket.second !== second) bucket.reset(second);
    bucket.requests++;
    if (status >= 500 || status < 100) bucket.errors++;
    bucket.latency[latencyBucketIndex(durationSeconds)]!++;
  }

  /** The current second (epoch seconds) by this window's clock. */
  nowSecond(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /**
   * Stats over the span the query names (see WindowSpanQuery; by default the
   * whole window, the current partial second included). The request rate
   * counts only the seconds since the window's first request, so a new
   * pool's rate is not diluted by time it did not exist.
   */
  stats(query: WindowSpanQuery = {}): WindowStats {
    const now = this.nowSecond();
    const span = resolveSpan(query, now, this.capacitySeconds);
    let requests = 0;
    let errors = 0;
    const latency = new Uint32Array(LATENCY_BUCKET_COUNT);
    for (const bucket of this.ring) {
      if (bucket.second < span.from || bucket.second > span.to) continue;
      requests += bucket.requests;
      errors += bucket.errors;
      for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) latency[i]! += bucket.latency[i]!;
    }
    const seconds = spanSeconds(span);
    const existed =
      this.firstSecond < 0 ? seconds : Math.min(seconds, span.to - this.firstSecond + 1);
    return {
      seconds,
      from: span.from,
      to: span.to,
      requests,
      errors,
      slow: query.slowerThanMs === undefined ? 0 : countSlowerThan(latency, query.slowerThanMs),
      successRate: requests === 0 ? null : (requests - errors) / requests,
      p50: latencyQuantileMillis(latency, requests, 0.5),
      p95: latencyQuantileMillis(latency, requests, 0.95),
      p99: latencyQuantileMillis(latency, requests, 0.99),
      rps: requests === 0 ? 0 : requests / Math.max(1, existed),
    };
  }
}
