/**
 * The judge: an analysis run (one template) as persisted state, folded one
 * interval at a time, with Argo Rollouts' AnalysisRun rules. Pure: the
 * controller passes the time in, asks `nextDueAt` when to measure, has the
 * providers observe, and stores what `judgeInterval` returns — so a
 * controller killed between intervals resumes the run from the store.
 *
 * The rules, per metric (docs/analysis.md):
 * - failed more than `failureLimit` times → the run fails;
 * - errored more than `consecutiveErrorLimit` times in a row → the run fails
 *   (Argo's Error phase; a rollout treats both alike);
 * - inconclusive more than `inconclusiveLimit` times → the run is
 *   inconclusive (the rollout pauses for a person to decide);
 * - compareWithStable's sequential test rejects → the run fails at once;
 * - every metric measured `count` times → successful, unless a metric's
 *   measurements all errored (it was never measured: that is no pass).
 * Failing beats inconclusive, which beats ending by count. Background runs
 * ignore `count` and measure until `stopRun`.
 */
import { durationMs } from '../spec/index.ts';
import type { AnalysisTemplateSpec, MetricSpec } from '../spec/schema/analysis.ts';
import { compareWithStable, startComparison, type ComparisonState } from './compare.ts';
import { lowerFirst, measure, metricKind, type MetricKind } from './thresholds.ts';
import type { Measurement, MeasurementPhase, Observation, RunVerdict } from './types.ts';

/** A template as the judge reads it; the resolved spec's templates fit as they are. */
export type JudgedTemplate = Readonly<Omit<AnalysisTemplateSpec, 'metrics'>> & {
  readonly metrics: readonly MetricSpec[];
};

/** One metric's tallies in a run: a few numbers, whatever the run's length. */
export interface MetricRunState {
  readonly metric: MetricKind;
  /** Measurements taken, errors included (so a run's length is `count` × `interval`). */
  readonly measurements: number;
  readonly successful: number;
  readonly failed: number;
  readonly inconclusive: number;
  readonly error: number;
  readonly consecutiveErrors: number;
  /** The latest measurement, for `switchyard status`; every one is also an event in the store. */
  readonly last: Measurement | null;
  /** compareWithStable's evidence so far; null for every other kind. */
  readonly comparison: ComparisonState | null;
}

/** An AnalysisRun: plain JSON, bounded in size (tallies, not a list of measurements). */
export interface AnalysisRunState {
  readonly template: string;
  readonly background: boolean;
  readonly verdict: RunVerdict;
  /** One sentence: the measurement that decided the run, or the latest one. */
  readonly message: string;
  readonly startedAt: number;
  /** When the latest interval was judged (the start of the span the next one covers); null before. */
  readonly lastMeasuredAt: number | null;
  /** When the next measurement is due; null once the run has ended. */
  readonly dueAt: number | null;
  readonly endedAt: number | null;
  /** By index in the template's `metrics`. */
  readonly metrics: readonly MetricRunState[];
}

export interface StartRunOptions {
  /** The template's name under `analysis.templates`. */
  readonly template: string;
  readonly spec: JudgedTemplate;
  /** Background runs (a canary's `analysis`) ignore `count` and measure until stopped. */
  readonly background: boolean;
  /** Epoch ms of the controller's clock. */
  readonly now: number;
}

/**
 * A new run. Argo measures at once unless told to wait (`initialDelay`); we
 * have no initialDelay and take the first measurement one interval after
 * the start instead, because the router's window metrics need an interval of
 * traffic on the new weights before they mean anything.
 */
export function startRun(options: StartRunOptions): AnalysisRunState {
  const { spec, now } = options;
  return {
    template: options.template,
    background: options.background,
    verdict: 'running',
    message: `Analysis "${options.template}" takes its first measurement after one interval (${spec.interval}).`,
    startedAt: now,
    lastMeasuredAt: null,
    dueAt: now + durationMs(spec.interval),
    endedAt: null,
    metrics: spec.metrics.map((metric) => {
      const kind = metricKind(metric);
      return {
        metric: kind,
        measurements: 0,
        successful: 0,
        failed: 0,
        inconclusive: 0,
        error: 0,
        consecutiveErrors: 0,
        last: null,
        comparison: metric.compareWithStable ? startComparison(metric.compareWithStable) : null,
      };
    }),
  };
}

/** When the run wants its next measurement (epoch ms); null once it has ended. */
export function nextDueAt(state: AnalysisRunState): number | null {
  return state.verdict === 'running' ? state.dueAt : null;
}

export interface JudgeIntervalOptions {
  /** The same template the run started with. */
  readonly spec: JudgedTemplate;
  readonly state: AnalysisRunState;
  /** One per metric, by index in the template's `metrics`. */
  readonly observations: readonly Observation[];
  readonly now: number;
}

export interface JudgeIntervalResult {
  readonly state: AnalysisRunState;
  /** This interval's measurements, one per metric; none when the run had already ended or is pending. */
  readonly measurements: readonly Measurement[];
  /**
   * A provider had nothing to judge yet (a `pending` observation): nothing
   * was judged, and the run is due again in PENDING_RETRY_MS. The interval's
   * span was not consumed: the next look measures it.
   */
  readonly pending: boolean;
}

/** How soon an interval with a pending observation is looked at again. */
export const PENDING_RETRY_MS = 200;

/** Judges one interval's observations and folds them into the run. */
export function judgeInterval(options: JudgeIntervalOptions): JudgeIntervalResult {
  const { spec, state, observations, now } = options;
  // A controller that resumes may judge an ended run again; that changes nothing.
  if (state.verdict !== 'running') return { state, measurements: [], pending: false };
  if (observations.length !== spec.metrics.length || state.metrics.length !== spec.metrics.length) {
    throw new RangeError(
      `Analysis "${state.template}" has ${spec.metrics.length} metrics, but the run holds ${state.metrics.length} and ${observations.length} observations came in.`,
    );
  }
  if (observations.some((observation) => observation.kind === 'pending'))
    return { state: { ...state, dueAt: now + PENDING_RETRY_MS }, measurements: [], pending: true };
  const metrics = spec.metrics.map((metric, index) =>
    judgeMetric({
      metric,
      index,
      spec,
      state: state.metrics[index]!,
      observation: observations[index]!,
      now,
    }),
  );
  const measurements = metrics.map((metric) => metric.last!);
  const { verdict, message } = decide(spec, state, metrics, measurements);
  const ended = verdict !== 'running';
  return {
    state: {
      ...state,
      verdict,
      message,
      lastMeasuredAt: now,
      dueAt: ended ? null : now + durationMs(spec.interval),
      endedAt: ended ? now : null,
      metrics,
    },
    measurements,
    pending: false,
  };
}

function judgeMetric(options: {
  metric: MetricSpec;
  index: number;
  spec: JudgedTemplate;
  state: MetricRunState;
  observation: Observation;
  now: number;
}): MetricRunState {
  const { metric, index, spec, state, observation, now } = options;
  let measurement: Measurement;
  let comparison = state.comparison;
  if (metric.compareWithStable && comparison) {
    const compared = compareWithStable({
      spec: metric.compareWithStable,
      state: comparison,
      observation,
      index,
      templateMinRequests: spec.minRequests,
      now,
    });
    measurement = compared.measurement;
    comparison = compared.state;
    // An interval that adds too little to judge yet is not held against the
    // run: the test keeps its evidence, and `count` decides at the end
    // whether the canary ever had enough traffic (endByCount).
    return tally(state, measurement, comparison, false);
  }
  measurement = measure({ metric, index, observation, minRequests: spec.minRequests, now });
  return tally(state, measurement, comparison, true);
}

function tally(
  state: MetricRunState,
  measurement: Measurement,
  comparison: ComparisonState | null,
  countInconclusive: boolean,
): MetricRunState {
  const phase: MeasurementPhase = measurement.phase;
  return {
    ...state,
    measurements: state.measurements + 1,
    successful: state.successful + (phase === 'successful' ? 1 : 0),
    failed: state.failed + (phase === 'failed' ? 1 : 0),
    inconclusive: state.inconclusive + (phase === 'inconclusive' && countInconclusive ? 1 : 0),
    error: state.error + (phase === 'error' ? 1 : 0),
    consecutiveErrors: phase === 'error' ? state.consecutiveErrors + 1 : 0,
    last: measurement,
    comparison,
  };
}

type Decision = { readonly verdict: RunVerdict; readonly message: string };

/** The run's verdict after an interval: failing first, then inconclusive, then the count. */
function decide(
  spec: JudgedTemplate,
  run: AnalysisRunState,
  metrics: readonly MetricRunState[],
  measurements: readonly Measurement[],
): Decision {
  const name = `Analysis "${run.template}"`;
  const latest = (index: number) => lowerFirst(measurements[index]!.message);
  for (const [index, metric] of metrics.entries()) {
    const reason = failureReason(metric, spec, metricLabel(spec.metrics, index));
    if (reason !== undefined)
      return { verdict: 'failed', message: `${name} failed: ${reason}${latest(index)}` };
  }
  for (const [index, metric] of metrics.entries()) {
    if (metric.inconclusive > spec.inconclusiveLimit) {
      const reason = `${metricLabel(spec.metrics, index)} was inconclusive ${times(metric.inconclusive)}, more than the inconclusiveLimit of ${spec.inconclusiveLimit}; latest: `;
      return {
        verdict: 'inconclusive',
        message: `${name} is inconclusive: ${reason}${latest(index)}`,
      };
    }
  }
  const measured = Math.min(...metrics.map((metric) => metric.measurements));
  if (!run.background && measured >= spec.count) return endByCount(name, spec, metrics, latest);
  const worst = worstIndex(measurements);
  const progress = run.background ? `${times(measured)}` : `${measured} of ${spec.count} times`;
  return {
    verdict: 'running',
    message: `${name} has measured ${progress}; latest ${metricLabel(spec.metrics, worst)}: ${latest(worst)}`,
  };
}

/** Why a metric fails the run, as the head of a sentence its latest measurement ends; undefined if it does not. */
function failureReason(
  metric: MetricRunState,
  spec: JudgedTemplate,
  label: string,
): string | undefined {
  // The test's statistic already holds every interval's evidence, and its
  // bound holds however often it is read: failureLimit would only add
  // intervals of a bad canary taking traffic, not protection.
  if (metric.comparison?.rejectedBy) return '';
  if (metric.failed > spec.failureLimit) {
    return `${label} failed ${times(metric.failed)}, more than the failureLimit of ${spec.failureLimit}; latest: `;
  }
  if (metric.consecutiveErrors > spec.consecutiveErrorLimit) {
    return `${label} could not be measured ${times(metric.consecutiveErrors)} in a row, more than the consecutiveErrorLimit of ${spec.consecutiveErrorLimit}; latest: `;
  }
  return undefined;
}

function endByCount(
  name: string,
  spec: JudgedTemplate,
  metrics: readonly MetricRunState[],
  latest: (index: number) => string,
): Decision {
  const neverMeasured = neverMeasuredIndex(metrics);
  if (neverMeasured !== undefined) {
    return {
      verdict: 'failed',
      message: `${name} failed: ${metricLabel(spec.metrics, neverMeasured)} could not be measured in any of its ${metrics[neverMeasured]!.measurements} measurements; latest: ${latest(neverMeasured)}`,
    };
  }
  const thin = metrics.findIndex(
    (metric) => metric.comparison !== null && metric.last?.phase === 'inconclusive',
  );
  if (thin >= 0) {
    // The comparison never had enough traffic (or no stable traffic) to pass.
    return {
      verdict: 'inconclusive',
      message: `${name} is inconclusive: ${metricLabel(spec.metrics, thin)} could not judge the canary in ${spec.count} measurements; latest: ${latest(thin)}`,
    };
  }
  const tolerated = metrics.reduce(
    (sum, metric) => sum + metric.failed + metric.inconclusive + metric.error,
    0,
  );
  const within =
    tolerated === 0
      ? 'all of them passed'
      : `${tolerated} did not pass, within the template's limits`;
  return {
    verdict: 'successful',
    message: `${name} succeeded: ${spec.count} measurements of ${metrics.length === 1 ? 'its metric' : `each of its ${metrics.length} metrics`}, and ${within}.`,
  };
}

/** A metric whose every measurement errored: it was never measured, which is no pass. */
function neverMeasuredIndex(metrics: readonly MetricRunState[]): number | undefined {
  const index = metrics.findIndex(
    (metric) => metric.measurements > 0 && metric.error === metric.measurements,
  );
  return index < 0 ? undefined : index;
}

const PHASE_SEVERITY: Record<MeasurementPhase, number> = {
  failed: 3,
  error: 2,
  inconclusive: 1,
  successful: 0,
};

/** The latest interval's most telling measurement: the worst phase, the first metric on a tie. */
function worstIndex(measurements: readonly Measurement[]): number {
  let worst = 0;
  for (const [index, measurement] of measurements.entries()) {
    if (PHASE_SEVERITY[measurement.phase] > PHASE_SEVERITY[measurements[worst]!.phase])
      worst = index;
  }
  return worst;
}

/** `successRate`, or `latencyP99 (metrics[2])` when the template holds two of that kind. */
function metricLabel(metrics: readonly MetricSpec[], index: number): string {
  const kind = metricKind(metrics[index]!);
  const same = metrics.filter((metric) => metricKind(metric) === kind).length;
  return same > 1 ? `${kind} (metrics[${index}])` : kind;
}

function times(n: number): string {
  return n === 1 ? '1 time' : `${n} times`;
}

/**
 * Ends a run the rollout no longer needs (a background run when the rollout
 * finishes, any run when it is aborted). Like Argo's terminate, a run that
 * has not failed ends successful — nothing went beyond its limits — except a
 * metric that was measured and only ever errored, which fails as it would by
 * count. An ended run stays as it is.
 */
export function stopRun(state: AnalysisRunState, now: number): AnalysisRunState {
  if (state.verdict !== 'running') return state;
  const name = `Analysis "${state.template}"`;
  const neverMeasured = neverMeasuredIndex(state.metrics);
  const ended = { ...state, dueAt: null, endedAt: now };
  if (neverMeasured !== undefined) {
    const metric = state.metrics[neverMeasured]!;
    return {
      ...ended,
      verdict: 'failed',
      message: `${name} failed: ${metric.metric} could not be measured in any of its ${metric.measurements} measurements before it was stopped; latest: ${lowerFirst(metric.last?.message ?? 'No measurement.')}`,
    };
  }
  const measured = Math.min(...state.metrics.map((metric) => metric.measurements));
  return {
    ...ended,
    verdict: 'successful',
    message:
      measured === 0
        ? `${name} was stopped before its first measurement.`
        : `${name} was stopped after ${measured} ${measured === 1 ? 'measurement' : 'measurements'}, none of its metrics beyond its limits.`,
  };
}

/**
 * The verdict of a strategy's analysis step (or background analysis) that
 * names several templates: failed as soon as one run failed, inconclusive
 * when one is and none failed, successful when all succeeded, else running.
 * The message is the deciding run's.
 */
export function combineVerdicts(runs: readonly Pick<AnalysisRunState, 'verdict' | 'message'>[]): {
  readonly verdict: RunVerdict;
  readonly message: string;
} {
  if (runs.length === 0) return { verdict: 'successful', message: 'No analysis templates to run.' };
  const first = (verdict: RunVerdict) => runs.find((run) => run.verdict === verdict);
  const decided = first('failed') ?? first('inconclusive');
  if (decided) return { verdict: decided.verdict, message: decided.message };
  const running = runs.filter((run) => run.verdict === 'running');
  if (running.length === 0) {
    if (runs.length === 1) return { verdict: 'successful', message: runs[0]!.message };
    return { verdict: 'successful', message: `All ${runs.length} analysis runs succeeded.` };
  }
  if (runs.length === 1) return { verdict: 'running', message: running[0]!.message };
  return {
    verdict: 'running',
    message: `${runs.length - running.length} of ${runs.length} analysis runs have succeeded; ${lowerFirst(running[0]!.message)}`,
  };
}
