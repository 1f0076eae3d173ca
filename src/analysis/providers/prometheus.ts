/**
 * A `prometheus` metric: one instant query over Prometheus's HTTP API
 * (`GET {address}/api/v1/query?query=...`), judged later against the
 * metric's `min`/`max`. The value is the first sample of the instant vector,
 * or the scalar; an empty vector cannot decide (a NaN value, inconclusive).
 */
import { request } from 'undici';
import type { Observation } from '../types.ts';
import { readBounded, excerpt } from './bounded-body.ts';
import { deadline } from './deadline.ts';
import { describeFailure, errorObservation } from './failure.ts';

/** Where Prometheus is asked when the metric names no `address`: its own default port, on this host. */
export const DEFAULT_PROMETHEUS_ADDRESS = 'http://127.0.0.1:9090';
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 10_000;
/** An instant query for one number answers in kilobytes; more is a query that matches too much. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * What a query may name as `{{name}}`. `routerService` is the router's label
 * for the service, `<service>/<environment>` (its metrics'
 * `service` label); `stablePool` is null when the rollout has no stable pool.
 */
export const PROMETHEUS_PLACEHOLDERS = [
  'service',
  'environment',
  'pool',
  'stablePool',
  'version',
  'routerService',
] as const;
export type PrometheusPlaceholder = (typeof PROMETHEUS_PLACEHOLDERS)[number];
export type PlaceholderValues = Readonly<Record<PrometheusPlaceholder, string | null>>;

export interface PrometheusQueryOptions {
  /** PromQL, with `{{placeholders}}`. */
  readonly query: string;
  /** Default DEFAULT_PROMETHEUS_ADDRESS. A path prefix (`http://host/prometheus`) is kept. */
  readonly address?: string;
  readonly placeholders: PlaceholderValues;
  /** Default DEFAULT_PROMETHEUS_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;

/**
 * The query with its placeholders filled in, or a sentence saying which one
 * cannot be. Values are escaped for a PromQL string (`\` and `"`), so a value
 * cannot end the quoted label value it is written in.
 */
export function fillPlaceholders(
  query: string,
  values: PlaceholderValues,
): { ok: true; query: string } | { ok: false; message: string } {
  const known: readonly string[] = PROMETHEUS_PLACEHOLDERS;
  for (const match of query.matchAll(PLACEHOLDER)) {
    const name = match[1]!;
    if (!known.includes(name))
      return {
        ok: false,
        message: `The prometheus query uses {{${name}}}, which Switchyard does not fill in; use ${known.map((n) => `{{${n}}}`).join(', ')}.`,
      };
    if (values[name as PrometheusPlaceholder] === null)
      return {
        ok: false,
        message: `The prometheus query uses {{${name}}}, but this rollout has no ${name}.`,
      };
  }
  return {
    ok: true,
    query: query.replace(PLACEHOLDER, (_whole, name: string) =>
      values[name as PrometheusPlaceholder]!.replace(/[\\"]/g, (c) => `\\${c}`),
    ),
  };
}

/** Runs the instant query; never throws (failures are `error` observations). */
export async function queryPrometheus(options: PrometheusQueryOptions): Promise<Observation> {
  const address = options.address ?? DEFAULT_PROMETHEUS_ADDRESS;
  const filled = fillPlaceholders(options.query, options.placeholders);
  if (!filled.ok) return errorObservation(filled.message);
  let url: URL;
  try {
    url = new URL('api/v1/query', address.endsWith('/') ? address : `${address}/`);
  } catch {
    return errorObservation(
      `The prometheus address ${JSON.stringify(address)} is not a URL; write it like ${DEFAULT_PROMETHEUS_ADDRESS}.`,
    );
  }
  url.searchParams.set('query', filled.query);

  const limit = deadline(options.timeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS, options.signal);
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      signal: limit.signal,
    });
    status = response.statusCode;
    const body = await readBounded(response.body, MAX_ANSWER_BYTES);
    if (body.truncated)
      return errorObservation(
        `Prometheus at ${address} answered the query with more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB; narrow it to the one number to judge (sum(...), a label filter).`,
      );
    text = body.text;
  } catch (error) {
    if (limit.signal.aborted)
      return errorObservation(`The query to Prometheus at ${address} ${limit.outcome()}.`);
    return errorObservation(`Cannot reach Prometheus at ${address} (${describeFailure(error)}).`);
  }
  return readAnswer({ address, status, text });
}

/** Prometheus's JSON envelope: https://prometheus.io/docs/prometheus/latest/querying/api/ */
interface ApiAnswer {
  readonly status?: unknown;
  readonly errorType?: unknown;
  readonly error?: unknown;
  readonly data?: { readonly resultType?: unknown; readonly result?: unknown };
}

interface VectorSample {
  readonly metric?: Readonly<Record<string, string>>;
  readonly value?: readonly [number, string];
}

function readAnswer(answer: { address: string; status: number; text: string }): Observation {
  const { address, status } = answer;
  let body: ApiAnswer;
  try {
    body = JSON.parse(answer.text) as ApiAnswer;
  } catch {
    return errorObservation(
      `Prometheus at ${address} answered ${status} with something other than its JSON API (${JSON.stringify(excerpt(answer.text, 120))}); check the address.`,
    );
  }
  if (body.status === 'error' || status >= 300)
    return errorObservation(
      `Prometheus at ${address} refused the query (${status}${typeof body.errorType === 'string' ? ` ${body.errorType}` : ''}): ${excerpt(String(body.error ?? answer.text))}.`,
    );
  const resultType = body.data?.resultType;
  const result = body.data?.result;
  if (resultType === 'scalar' && Array.isArray(result))
    return numberFrom(address, result[1], 'the query returned a scalar');
  if (resultType === 'vector' && Array.isArray(result)) {
    const samples = result as readonly VectorSample[];
    const first = samples[0];
    if (first === undefined)
      return { kind: 'value', value: NaN, detail: 'the query returned no series' };
    const series = labelsOf(first.metric ?? {});
    const detail =
      samples.length === 1
        ? `the query returned one series ${series}`
        : `the first of ${samples.length} series the query returned, ${series}`;
    return numberFrom(address, first.value?.[1], detail);
  }
  if (resultType === 'matrix')
    return errorObservation(
      `Prometheus at ${address} answered a range vector; write an instant query that gives one number (e.g. sum(rate(...[1m])) rather than ...[1m]).`,
    );
  return errorObservation(
    `Prometheus at ${address} answered a ${typeof resultType === 'string' ? resultType : 'result'} where a number was expected; write a query that gives one number.`,
  );
}

function numberFrom(address: string, text: unknown, detail: string): Observation {
  const value = typeof text === 'string' ? promNumber(text) : undefined;
  if (value === undefined)
    return errorObservation(
      `Prometheus at ${address} answered a sample that is not a number (${JSON.stringify(text)}).`,
    );
  return { kind: 'value', value, detail };
}

/** Prometheus writes numbers as strings, with `+Inf`, `-Inf` and `NaN`. */
function promNumber(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

function labelsOf(metric: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(metric).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `{${pairs.join(',')}}`;
}
