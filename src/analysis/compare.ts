/**
 * `compareWithStable`: the canary against the stable pool over the same
 * seconds. Unlike the other metrics it keeps evidence across intervals (the
 * sequential test's sums, ./sequential-test.ts), so a regression too small
 * to see in one interval still fails the canary once enough traffic shows
 * it, and a broken canary fails within seconds.
 */
import type { CompareWithStableSpec } from '../spec/schema/analysis.ts';
import {
  addLogLRs,
  binomialLogLRs,
  emptyLogLikelihoodRatios,
  exceedanceLogLRs,
  logMixture,
  logMixtureOf,
  logRejectionThreshold,
  type LogLikelihoodRatios,
} from './sequential-test.ts';
import { numberText, percent, requestsText, sentenceBody } from './thresholds.ts';
import type { Measurement, MeasurementPhase, Observation, PoolSample } from './types.ts';

/** Requests, errors and slow requests of one pool, summed over the run's intervals. */
export interface PoolTotals {
  readonly requests: number;
  readonly errors: number;
  readonly slow: number;
}

/** What a compareWithStable metric carries from one interval to the next (plain JSON). */
export interface ComparisonState {
  /** Log likelihood ratio sums per RATE_RATIOS entry for the error test; null when it is off. */
  readonly errorRate: LogLikelihoodRatios | null;
  /** The same for the slow-request test; null when it is off. */
  readonly latency: LogLikelihoodRatios | null;
  /** The test that found the canary worse; once set, the comparison has failed for good. */
  readonly rejectedBy: 'errorRate' | 'latency' | null;
  /** Totals over the intervals judged, for messages (the test itself keeps its own sums). */
  readonly canary: PoolTotals;
  readonly stable: PoolTotals;
}

const NO_TRAFFIC: PoolTotals = { requests: 0, errors: 0, slow: 0 };

/**
 * How much slower than stable's p95 a request must be to count as slow: 20%
 * and 5 ms above it. Without a margin the test finds differences no user
 * notices — a freshly started instance 0.2 ms slower at a 2 ms p95 — and
 * aborts healthy canaries (measured in bench/canary-detection.ts); with it,
 * only a tail that is slower by a margin people feel counts.
 */
export const LATENCY_MARGIN = { relative: 0.2, ms: 5 } as const;

/** The latency above which a request counts as slow, from stable's p95 over the same seconds. */
export function slowThreshold(stableP95Ms: number): number {
  return stableP95Ms * (1 + LATENCY_MARGIN.relative) + LATENCY_MARGIN.ms;
}

export function startComparison(spec: CompareWithStableSpec): ComparisonState {
  return {
    errorRate: spec.errorRate === false ? null : emptyLogLikelihoodRatios(),
    latency: spec.latency === false ? null : emptyLogLikelihoodRatios(),
    rejectedBy: null,
    canary: NO_TRAFFIC,
    stable: NO_TRAFFIC,
  };
}

export interface CompareOptions {
  readonly spec: CompareWithStableSpec;
  readonly state: ComparisonState;
  readonly observation: Observation;
  /** The metric's index in the template's `metrics`. */
  readonly index: number;
  /** The template's `minRequests`; the larger of it and the metric's own applies. */
  readonly templateMinRequests: number;
  /** Epoch ms of the controller's clock. */
  readonly now: number;
}

export interface CompareResult {
  readonly measurement: Measurement;
  readonly state: ComparisonState;
}

/** A phase and its sentence, with the state after the interval. */
interface Judged {
  readonly phase: MeasurementPhase;
  readonly message: string;
  readonly state: ComparisonState;
}

/** Judges one interval; the measurement's value is the evidence so far (null for an error). */
export function compareWithStable(options: CompareOptions): CompareResult {
  const { phase, message, state } = judge(options);
  return {
    measurement: {
      metric: 'compareWithStable',
      index: options.index,
      phase,
      value: phase === 'error' ? null : evidenceOf(state),
      message,
      at: options.now,
    },
    state,
  };
}

/**
 * The order matters: the interval's evidence is added first, so a clear
 * regression fails the canary even in an interval with fewer canary requests
 * than a pass needs; only then does too little canary traffic make the
 * interval inconclusive rather than a pass.
 */
function judge(options: CompareOptions): Judged {
  const { observation, state, spec } = options;
  if (observation.kind === 'error') {
    const message = `The provider could not measure: ${sentenceBody(observation.message)}.`;
    return { phase: 'error', message, state };
  }
  if (observation.kind !== 'comparison') {
    const message = `The provider gave a ${observation.kind} observation, which a compareWithStable metric cannot judge.`;
    return { phase: 'error', message, state };
  }
  if (state.rejectedBy !== null) return rejection(state, spec.confidence);
  const { canary, stable } = observation;
  if (stable.requests <= 0) {
    const message =
      'The stable pool served no requests in this interval, so the canary cannot be compared with it.';
    return { phase: 'inconclusive', message, state };
  }
  const next = addInterval(state, canary, stable, observation.slowThresholdMs !== null);
  if (logMixture(testsOf(next)) >= logRejectionThreshold(spec.confidence)) {
    return rejection({ ...next, rejectedBy: strongerTest(next) }, spec.confidence);
  }
  const minRequests = Math.max(spec.minRequests, options.templateMinRequests);
  return notRejected(next, {
    canaryRequests: next.canary.requests,
    minRequests,
    confidence: spec.confidence,
  });
}

function notRejected(
  state: ComparisonState,
  options: { canaryRequests: number; minRequests: number; confidence: number },
): Judged {
  const { canaryRequests, minRequests } = options;
  const standing = `the evidence against it so far is ${numberText(evidenceOf(state))}, and ${numberText(rejectionLevel(options.confidence))} would fail it`;
  if (canaryRequests <= 0) {
    const message = `The canary has served no requests so far; ${standing}.`;
    return { phase: 'inconclusive', message, state };
  }
  if (canaryRequests < minRequests) {
    const message = `The canary has served ${requestsText(canaryRequests)} so far, fewer than the ${minRequests} a comparison needs to pass; ${standing}.`;
    return { phase: 'inconclusive', message, state };
  }
  const message = `The canary is no worse than stable beyond chance so far (${comparedRates(state)}); ${standing}.`;
  return { phase: 'successful', message, state };
}

function addInterval(
  state: ComparisonState,
  canary: PoolSample,
  stable: PoolSample,
  hasSlowCounts: boolean,
): ComparisonState {
  const errorRate =
    state.errorRate &&
    addLogLRs(
      state.errorRate,
      binomialLogLRs(
        { requests: canary.requests, events: canary.errors },
        { requests: stable.requests, events: stable.errors },
      ),
    );
  // Without a threshold (stable had no latency to cut one from) there is no slow count to test.
  const latency =
    state.latency &&
    (hasSlowCounts
      ? addLogLRs(
          state.latency,
          exceedanceLogLRs(
            { requests: canary.requests, events: canary.slow },
            { requests: stable.requests, events: stable.slow },
          ),
        )
      : state.latency);
  return {
    errorRate,
    latency,
    rejectedBy: null,
    canary: addTotals(state.canary, canary, hasSlowCounts),
    stable: addTotals(state.stable, stable, hasSlowCounts),
  };
}

function addTotals(totals: PoolTotals, sample: PoolSample, hasSlowCounts: boolean): PoolTotals {
  return {
    requests: totals.requests + sample.requests,
    errors: totals.errors + sample.errors,
    slow: totals.slow + (hasSlowCounts ? sample.slow : 0),
  };
}

function testsOf(state: ComparisonState): LogLikelihoodRatios[] {
  return [state.errorRate, state.latency].filter((test) => test !== null);
}

function strongerTest(state: ComparisonState): 'errorRate' | 'latency' {
  if (state.latency === null) return 'errorRate';
  if (state.errorRate === null) return 'latency';
  return logMixtureOf(state.errorRate) >= logMixtureOf(state.latency) ? 'errorRate' : 'latency';
}

/**
 * The mixture likelihood ratio: how many times likelier the data are if the
 * canary is worse than if it is not. It is the measurement's value, capped
 * so it stays a finite JSON number.
 */
export function evidenceOf(state: ComparisonState): number {
  return Math.exp(Math.min(logMixture(testsOf(state)), 700));
}

function comparedRates(state: ComparisonState): string {
  const parts: string[] = [];
  if (state.errorRate !== null) {
    parts.push(
      `errors ${share(state.canary.errors, state.canary.requests)} against ${share(state.stable.errors, state.stable.requests)}`,
    );
  }
  if (state.latency !== null) {
    parts.push(
      `slower than stable's p95 + margin ${share(state.canary.slow, state.canary.requests)} against ${share(state.stable.slow, state.stable.requests)}`,
    );
  }
  return parts.join('; ');
}

function rejection(state: ComparisonState, confidence: number): Judged {
  const { canary, stable } = state;
  const what =
    state.rejectedBy === 'latency'
      ? `The canary's share of requests slower than stable's p95 + 20% + 5 ms, ${share(canary.slow, canary.requests)} (${canary.slow} of ${requestsText(canary.requests)}), is worse than stable's ${share(stable.slow, stable.requests)} (${stable.slow} of ${stable.requests})`
      : `The canary's error rate, ${share(canary.errors, canary.requests)} (${canary.errors} of ${requestsText(canary.requests)}), is worse than stable's ${share(stable.errors, stable.requests)} (${stable.errors} of ${stable.requests})`;
  const evidence = `the evidence reached ${numberText(evidenceOf(state))}, past the ${numberText(rejectionLevel(confidence))} that fails it`;
  return {
    phase: 'failed',
    message: `${what} beyond chance at ${percent(confidence)} confidence: ${evidence}.`,
    state,
  };
}

/** The evidence that fails the canary: 1/(1 − confidence), 100 at 0.99. */
function rejectionLevel(confidence: number): number {
  return 1 / (1 - confidence);
}

function share(events: number, requests: number): string {
  return requests === 0 ? 'n/a' : percent(events / requests);
}
