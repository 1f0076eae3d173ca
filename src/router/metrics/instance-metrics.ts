import type { InstanceObserver } from '../observer.ts';
import type { RollingWindow } from './rolling-window.ts';

/** Latency buckets in seconds: 1 ms to 10 s, dense where web requests live. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

// A type alias, not an interface, so it fits prom-client's label records.
export type InstanceLabels = {
  readonly service: string;
  readonly pool: string;
  readonly instance: string;
};

/**
 * The handle the proxy keeps on its instance object. It holds plain numbers
 * that the request path bumps — no label lookup, hashing or allocation per
 * request (prom-client's `.labels()` children still hash on every call) —
 * and the collectors read them when /metrics is scraped.
 */
export class InstanceMetrics implements InstanceObserver {
  readonly labels: InstanceLabels;
  /** How many holders asked for this handle and have not forgotten it yet. */
  refs = 0;
  inFlight = 0;
  connections = 0;
  websockets = 0;
  retries = 0;
  /** Requests per status class, 1xx..5xx. */
  readonly byClass = new Float64Array(STATUS_CLASSES.length);
  /** Latency histogram counts per bucket (not cumulative); `count` includes +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_SECONDS.length);
  sum = 0;
  count = 0;
  private readonly window: RollingWindow;

  constructor(options: { labels: InstanceLabels; window: RollingWindow }) {
    this.labels = options.labels;
    this.window = options.window;
  }

  requestStarted(): void {
    this.inFlight++;
  }

  requestFinished(status: number, durationSeconds: number): void {
    this.inFlight--;
    // 1xx → 0 … 5xx → 4; anything outside 100..599 is counted as a 5xx.
    let index = ((status / 100) | 0) - 1;
    if (index < 0 || index > 4) index = 4;
    this.byClass[index]!++;
    for (let bucket = 0; bucket < LATENCY_BUCKETS_SECONDS.length; bucket++) {
      if (durationSeconds <= LATENCY_BUCKETS_SECONDS[bucket]!) {
        this.buckets[bucket]!++;
        break;
      }
    }
    this.sum += durationSeconds;
    this.count++;
    this.window.record(status, durationSeconds);
  }

  connectionOpened(): void {
    this.connections++;
  }

  connectionClosed(): void {
    this.connections--;
  }

  websocketOpened(): void {
    this.websockets++;
  }

  websocketClosed(): void {
    this.websockets--;
  }

  retried(): void {
    // The attempt ends without a response; only the retry counts it.
    this.inFlight--;
    this.retries++;
  }
}
