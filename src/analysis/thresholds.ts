/**
 * One observation of one metric, judged against the metric's own bounds: the
 * stateless part of the judge. (compareWithStable keeps evidence across
 * intervals and lives in ./compare.ts.)
 */
import { durationMs } from '../spec/index.ts';
import type { MetricSpec } from '../spec/schema/analysis.ts';
import type { Measurement, MeasurementPhase, Observation, PoolSample } from './types.ts';

/** Every metric kind a template may hold: the keys of the spec's metric mapping. */
export type MetricKind = keyof MetricSpec & string;

/** The kind of a metric: the one key its mapping holds. */
export function metricKind(metric: MetricSpec): MetricKind {
  const present = (Object.keys(metric) as MetricKind[]).filter((key) => metric[key] !== undefined);
  if (present.length !== 1 || present[0] === undefined) {
    throw new TypeError(`A metric holds exactly one kind, not ${present.length}.`);
  }
  return present[0];
}

/** The kinds read from the router's window for the judged pool alone, and judged on that window. */
export const WINDOW_METRIC_KINDS = [
  'successRate',
  'errorRate',
  'latencyP50',
  'latencyP95',
  'latencyP99',
  'requestRate',
] as const satisfies readonly MetricKind[];
export type WindowMetricKind = (typeof WINDOW_METRIC_KINDS)[number];

export function isWindowMetric(kind: MetricKind | undefined): kind is WindowMetricKind {
  return (WINDOW_METRIC_KINDS as readonly (MetricKind | undefined)[]).includes(kind);
}

export interface MeasureOptions {
  readonly metric: MetricSpec;
  /** Its index in the template's `metrics`. */
  readonly index: number;
  readonly observation: Observation;
  /** The template's `minRequests`: fewer in the interval make a window metric inconclusive. */
  readonly minRequests: number;
  /** Epoch ms of the controller's clock. */
  readonly now: number;
}

type Verdict = {
  readonly phase: MeasurementPhase;
  readonly value: number | null;
  readonly message: string;
};

/** Judges one observation of a metric that needs no history (every kind but compareWithStable). */
export function measure(options: MeasureOptions): Measurement {
  const kind = metricKind(options.metric);
  const { phase, value, message } = judge(options, kind);
  return { metric: kind, index: options.index, phase, value, message, at: options.now };
}

function judge(options: MeasureOptions, kind: MetricKind): Verdict {
  const { metric, observation } = options;
  if (observation.kind === 'error') return providerError(observation.message);
  if (isWindowMetric(kind)) {
    if (observation.kind !== 'window') return mismatch(kind, observation.kind);
    return judgeWindow(metric, kind, observation.sample, options.minRequests);
  }
  switch (kind) {
    case 'prometheus':
      if (observation.kind !== 'value') return mismatch(kind, observation.kind);
      return judgeValue(metric.prometheus!, observation.value, observation.detail);
    case 'webhook':
    case 'command':
      if (observation.kind !== 'pass') return mismatch(kind, observation.kind);
      return judgePass(kind, observation.pass, observation.detail);
    case 'compareWithStable':
      // The judge routes this kind to ./compare.ts; reaching here is a wiring mistake.
      return mismatch(kind, observation.kind);
  }
}

/** The provider could not measure: an Error measurement, which counts toward consecutiveErrorLimit. */
function providerError(message: string): Verdict {
  return {
    phase: 'error',
    value: null,
    message: `The provider could not measure: ${sentenceBody(message)}.`,
  };
}

function mismatch(kind: MetricKind, observed: Observation['kind']): Verdict {
  return {
    phase: 'error',
    value: null,
    message: `The provider gave a ${observed} observation, which a ${kind} metric cannot judge.`,
  };
}

function judgeWindow(
  metric: MetricSpec,
  kind: WindowMetricKind,
  sample: PoolSample,
  minRequests: number,
): Verdict {
  // requestRate judges traffic itself: no traffic is what its `min` is for, so it never waits for some.
  if (kind === 'requestRate') return judgeRequestRate(metric.requestRate!, sample);
  const tooLittle = tooLittleTraffic(sample.requests, minRequests, describeKind(kind));
  if (tooLittle) return tooLittle;
  switch (kind) {
    case 'successRate': {
      const rate = (sample.requests - sample.errors) / sample.requests;
      const min = metric.successRate!.min;
      const detail = `Success rate ${percent(rate)} (${sample.requests - sample.errors} of ${requestsText(sample.requests)})`;
      return rate >= min
        ? passed(rate, `${detail} meets the minimum ${percent(min)}.`)
        : failed(rate, `${detail} is below the minimum ${percent(min)}.`);
    }
    case 'errorRate': {
      const rate = sample.errors / sample.requests;
      const max = metric.errorRate!.max;
      const detail = `Error rate ${percent(rate)} (${sample.errors} of ${requestsText(sample.requests)})`;
      return rate <= max
        ? passed(rate, `${detail} is within the maximum ${percent(max)}.`)
        : failed(rate, `${detail} is above the maximum ${percent(max)}.`);
    }
    default:
      return judgeLatency(metric, kind, sample);
  }
}

function judgeLatency(metric: MetricSpec, kind: MetricKind, sample: PoolSample): Verdict {
  const [label, value, max] =
    kind === 'latencyP50'
      ? (['p50', sample.p50, metric.latencyP50!.max] as const)
      : kind === 'latencyP95'
        ? (['p95', sample.p95, metric.latencyP95!.max] as const)
        : (['p99', sample.p99, metric.latencyP99!.max] as const);
  if (value === null) {
    return inconclusive(
      null,
      `The ${label} latency is unknown for ${requestsText(sample.requests)}; there is nothing to judge.`,
    );
  }
  const maxMs = durationMs(max);
  const detail = `The ${label} latency ${milliseconds(value)} over ${requestsText(sample.requests)}`;
  return value <= maxMs
    ? passed(value, `${detail} is within the maximum ${max}.`)
    : failed(value, `${detail} is above the maximum ${max}.`);
}

function judgeRequestRate(
  bounds: { readonly min?: number; readonly max?: number },
  sample: PoolSample,
): Verdict {
  const rps = sample.rps;
  const detail = `The pool received ${perSecond(rps)} (${requestsText(sample.requests)} in ${sample.seconds} s)`;
  if (bounds.min !== undefined && rps < bounds.min)
    return failed(rps, `${detail}, below the minimum ${perSecond(bounds.min)}.`);
  if (bounds.max !== undefined && rps > bounds.max)
    return failed(rps, `${detail}, above the maximum ${perSecond(bounds.max)}.`);
  return passed(rps, `${detail}, within ${boundsText(bounds, perSecond)}.`);
}

/**
 * Too little traffic is Inconclusive, never a pass: a version that served
 * three requests has shown nothing about its success rate or its p99.
 */
function tooLittleTraffic(
  requests: number,
  minRequests: number,
  what: string,
): Verdict | undefined {
  if (requests <= 0)
    return inconclusive(
      null,
      `The pool served no requests in this interval, so there is no ${what} to judge.`,
    );
  if (requests < minRequests) {
    return inconclusive(
      null,
      `The pool served ${requestsText(requests)} in this interval, fewer than the ${minRequests} minRequests asks for, too few to judge its ${what}.`,
    );
  }
  return undefined;
}

function judgeValue(
  bounds: { readonly min?: number; readonly max?: number },
  value: number,
  detail: string,
): Verdict {
  const source = detail.trim() === '' ? 'The query' : `The query (${sentenceBody(detail)})`;
  // NaN comes from a ratio over no traffic (0/0): it cannot say pass or fail.
  if (Number.isNaN(value))
    return inconclusive(null, `${source} returned NaN, which cannot be judged.`);
  const shown = numberText(value);
  // JSON has no Infinity: the sentence keeps it, the stored value says "no number".
  const stored = Number.isFinite(value) ? value : null;
  if (bounds.min !== undefined && value < bounds.min)
    return failed(
      stored,
      `${source} returned ${shown}, below the minimum ${numberText(bounds.min)}.`,
    );
  if (bounds.max !== undefined && value > bounds.max)
    return failed(
      stored,
      `${source} returned ${shown}, above the maximum ${numberText(bounds.max)}.`,
    );
  return passed(stored, `${source} returned ${shown}, within ${boundsText(bounds, numberText)}.`);
}

function judgePass(kind: 'webhook' | 'command', pass: boolean, detail: string): Verdict {
  const what = kind === 'webhook' ? 'The webhook' : 'The command';
  const said = detail.trim() === '' ? '' : `: ${sentenceBody(detail)}`;
  return pass
    ? passed(null, `${what} passed${said}.`)
    : failed(null, `${what} did not pass${said}.`);
}

const passed = (value: number | null, message: string): Verdict => ({
  phase: 'successful',
  value,
  message,
});
const failed = (value: number | null, message: string): Verdict => ({
  phase: 'failed',
  value,
  message,
});
const inconclusive = (value: number | null, message: string): Verdict => ({
  phase: 'inconclusive',
  value,
  message,
});

function describeKind(kind: MetricKind): string {
  switch (kind) {
    case 'successRate':
      return 'success rate';
    case 'errorRate':
      return 'error rate';
    case 'latencyP50':
      return 'p50 latency';
    case 'latencyP95':
      return 'p95 latency';
    case 'latencyP99':
      return 'p99 latency';
    default:
      return kind;
  }
}

function boundsText<T extends number>(
  bounds: { readonly min?: T; readonly max?: T },
  show: (value: T) => string,
): string {
  if (bounds.min !== undefined && bounds.max !== undefined)
    return `${show(bounds.min)} to ${show(bounds.max)}`;
  if (bounds.min !== undefined) return `the minimum ${show(bounds.min)}`;
  return `the maximum ${show(bounds.max!)}`;
}

// Formatting for messages: three significant digits are enough to read and compare.

/** `99.5%`, `0.4%`, `100%`. */
export function percent(ratio: number): string {
  return `${numberText(ratio * 100)}%`;
}

export function numberText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(3)));
}

function milliseconds(value: number): string {
  return `${numberText(value)} ms`;
}

function perSecond(value: number): string {
  return `${numberText(value)} req/s`;
}

/** `1 request`, `20 requests`. */
export function requestsText(requests: number): string {
  return `${requests} ${requests === 1 ? 'request' : 'requests'}`;
}

/** Text from a provider, fit to sit inside one of our sentences. */
export function sentenceBody(text: string): string {
  const trimmed = text.trim().replace(/[.\s]+$/, '');
  return trimmed === '' ? 'no detail given' : trimmed;
}

/** A sentence as the tail of another one: `Success rate…` → `success rate…`. */
export function lowerFirst(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
