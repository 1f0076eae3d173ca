import type { Clock } from './clock.ts';
import {
  LATENCY_BUCKET_COUNT,
  latencyBucketIndex,
  latencyQuantileMillis,
} from './latency-histogram.ts';

export interface WindowStats {
  /** The span the numbers cover, in seconds (never more than the window holds). */
  readonly seconds: number;
  readonly requests: number;
  /**
   * 5xx answers, including the router's own 502 and 504 when proxying to an
   * instance of the pool failed. A 503 for lack of a healthy instance belongs
   * to no pool and is not here (only in switchyard_router_no_upstream_total).
   */
  readonly errors: number;
  /** (requests − errors) / requests; null with no requests. 4xx count as successes. */
  readonly successRate: number | null;
  /** Latency percentiles in milliseconds, within LATENCY_RELATIVE_PRECISION; null with no requests. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Requests per second over the span (0 with no requests: nothing arrived). */
  readonly rps: number;
}

export const DEFAULT_WINDOW_SECONDS = 60;

/** The span asked for, in whole seconds, at least 1 and at most `capacity`. */
export function windowSpan(seconds: number, capacity: number): number {
  return Math.max(1, Math.min(Math.floor(seconds), capacity));
}

/** The stats of a span with no requests: zeros, and nulls where there is nothing to measure. */
export function noTraffic(seconds: number): WindowStats {
  return {
    seconds,
    requests: 0,
    errors: 0,
    successRate: null,
    p50: null,
    p95: null,
    p99: null,
    rps: 0,
  };
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
 * bounded by N (about 1.9 KB a second).
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
    this.ring = Array.from({ length: this.capacitySeconds }, () => new SecondBucket());
  }

  record(status: number, durationSeconds: number): void {
    const second = Math.floor(this.clock.now() / 1000);
    if (this.firstSecond < 0) this.firstSecond = second;
    const bucket = this.ring[second % this.capacitySeconds]!;
    if (bucket.second !== second) bucket.reset(second);
    bucket.requests++;
    if (status >= 500 || status < 100) bucket.errors++;
    bucket.latency[latencyBucketIndex(durationSeconds)]!++;
  }

  /**
   * Stats over the last `seconds` (the current, partial second included).
   * A window younger than that covers only the seconds since its first
   * request, so a new pool's rate is not diluted by time it did not exist.
   */
  stats(seconds: number = this.capacitySeconds): WindowStats {
    const span = windowSpan(seconds, this.capacitySeconds);
    const now = Math.floor(this.clock.now() / 1000);
    const oldest = now - span + 1;
    let requests = 0;
    let errors = 0;
    const latency = new Uint32Array(LATENCY_BUCKET_COUNT);
    for (const bucket of this.ring) {
      if (bucket.second < oldest || bucket.second > now) continue;
      requests += bucket.requests;
      errors += bucket.errors;
      for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) latency[i]! += bucket.latency[i]!;
    }
    const covered =
      this.firstSecond < 0 ? span : Math.max(1, Math.min(span, now - this.firstSecond + 1));
    return {
      seconds: span,
      requests,
      errors,
      successRate: requests === 0 ? null : (requests - errors) / requests,
      p50: latencyQuantileMillis(latency, requests, 0.5),
      p95: latencyQuantileMillis(latency, requests, 0.95),
      p99: latencyQuantileMillis(latency, requests, 0.99),
      rps: requests / covered,
    };
  }
}
