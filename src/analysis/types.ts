/**
 * The vocabulary of analysis (DESIGN.md, analysis/), shared by the pure judge
 * and the providers that do I/O. A provider turns one metric of a template
 * into an Observation for one interval (what it saw, no verdict); the judge
 * turns observations into Measurements with a phase and folds them into the
 * run's persisted state, which ends Successful, Failed or Inconclusive.
 *
 * Phases follow Argo Rollouts' AnalysisRun: a measurement is Successful,
 * Failed, Inconclusive (too little traffic, or a value that cannot decide) or
 * Error (the provider could not measure).
 */

export const MEASUREMENT_PHASES = ['successful', 'failed', 'inconclusive', 'error'] as const;
export type MeasurementPhase = (typeof MEASUREMENT_PHASES)[number];

export const RUN_VERDICTS = ['running', 'successful', 'failed', 'inconclusive'] as const;
export type RunVerdict = (typeof RUN_VERDICTS)[number];

/**
 * What one metric of a run judges: the rollout, the pool under analysis, and
 * the metric's place in its template. Providers that call out (a webhook)
 * send it as is.
 */
export interface AnalysisSubject {
  readonly service: string;
  readonly environment: string;
  /** The revision number being rolled out (per service and environment: 1, 2, 3…). */
  readonly revision: number;
  readonly version: string;
  /** The pool under analysis (the canary, or blue/green's preview pool). */
  readonly pool: string;
  /** The pool serving the current version; null when there is none (a first deploy). */
  readonly stablePool: string | null;
  /** The analysis template's name. */
  readonly template: string;
  /** The metric's index in the template's `metrics` list. */
  readonly metricIndex: number;
}

/** Traffic one pool received over the measured span (whole seconds, the router's clock). */
export interface PoolSample {
  readonly requests: number;
  /** 5xx and the router's own 502/504 for the pool (4xx count as successes). */
  readonly errors: number;
  /** Requests slower than the span's latency threshold (for the canary-vs-stable latency test). */
  readonly slow: number;
  /** Milliseconds; null with no requests. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Requests per second over the span. */
  readonly rps: number;
  readonly seconds: number;
}

/** What a provider saw for one metric over one interval. */
export type Observation =
  /** The router's window for the judged pool (successRate, errorRate, latencyP*, requestRate). */
  | { readonly kind: 'window'; readonly sample: PoolSample }
  /** Both pools over the same seconds (compareWithStable); `slow` is counted against stable's p95 plus a margin (compare.ts). */
  | {
      readonly kind: 'comparison';
      readonly canary: PoolSample;
      readonly stable: PoolSample;
      /** The latency threshold the `slow` counts used, ms; null when stable had no requests. */
      readonly slowThresholdMs: number | null;
    }
  /** A number from Prometheus (the first sample of an instant vector or a scalar). */
  | { readonly kind: 'value'; readonly value: number; readonly detail: string }
  /** A webhook or command: passed or not, with what it said. */
  | { readonly kind: 'pass'; readonly pass: boolean; readonly detail: string }
  /** The provider could not measure (unreachable, timed out, bad answer). */
  | { readonly kind: 'error'; readonly message: string }
  /**
   * Nothing to judge yet: the router's span has no complete second since the
   * last interval (the interval's clock and the router's seconds do not line
   * up). The judge neither counts nor holds it against the run: it looks
   * again shortly (judge.ts).
   */
  | { readonly kind: 'pending'; readonly detail: string };

/** One judged measurement; each is also an event in the store. */
export interface Measurement {
  /** The metric's key in the template, e.g. "successRate" or "prometheus". */
  readonly metric: string;
  /** Its index in the template's `metrics` list (a template may hold two of a kind). */
  readonly index: number;
  readonly phase: MeasurementPhase;
  /** The measured number (a rate, milliseconds, a PromQL value), null when there is none. */
  readonly value: number | null;
  /** A sentence: what was measured against what. */
  readonly message: string;
  /** Epoch ms of the controller's clock. */
  readonly at: number;
}
