/**
 * The one place a metric of a template is turned into an Observation: it
 * picks the provider by the metric's key (the factory switch of STYLE.md §3)
 * and gives it what it needs from the context. Providers never throw, and
 * neither does this.
 */
import { durationMs } from '../../spec/duration.ts';
import type { MetricSpec } from '../../spec/schema/analysis.ts';
import { isWindowMetric, metricKind, type MetricKind } from '../thresholds.ts';
import type { AnalysisSubject, Observation } from '../types.ts';
import { runCheckCommand } from './command.ts';
import { describeFailure, errorObservation } from './failure.ts';
import { queryPrometheus } from './prometheus.ts';
import {
  observeComparison,
  observePoolWindow,
  type SpanRequest,
  type WindowMeasurement,
  type WindowSource,
} from './router-window.ts';
import { callWebhook } from './webhook.ts';

/** Everything a provider may need about the rollout being judged: what it judges, and how to reach it. */
export interface ObserveContext extends AnalysisSubject {
  /** The router's windows (RouterAdminClient). */
  readonly window: WindowSource;
  /** The seconds this interval measures from the router's windows. */
  readonly span: SpanRequest;
  /** The environment a `command` runs in (SWITCHYARD_* are added on top). */
  readonly commandEnv: Readonly<Record<string, string | undefined>>;
  /** Where a `command` runs; default the controller's working directory. */
  readonly commandCwd?: string;
  /** Aborts whatever is in flight: the run was stopped. */
  readonly signal?: AbortSignal;
  /** Replaces the HTTP timeouts (Prometheus's default, a webhook's `timeout`); for tests. */
  readonly fetchTimeoutMs?: number;
}

/** What the metric saw over this interval. */
export async function observe(metric: MetricSpec, context: ObserveContext): Promise<Observation> {
  return (await observeInterval(metric, context)).observation;
}

/**
 * One interval of every metric of a template, in the template's order. The
 * metrics that read the router's window are asked first: while its span has
 * no complete second yet (a `pending` observation, looked at again 200 ms
 * later), the others (Prometheus, webhooks, commands) are not asked at all,
 * and get the same pending observation, so waiting for a second costs them
 * nothing.
 */
export async function observeTemplate(
  metrics: readonly MetricSpec[],
  contextOf: (metricIndex: number) => ObserveContext,
): Promise<WindowMeasurement[]> {
  const results: (WindowMeasurement | undefined)[] = metrics.map(() => undefined);
  const observeWhere = (readingRouter: boolean) =>
    Promise.all(
      metrics.map(async (metric, index) => {
        if (readsRouter(metric) === readingRouter)
          results[index] = await observeInterval(metric, contextOf(index));
      }),
    );
  await observeWhere(true);
  const pending = results.find((result) => result?.observation.kind === 'pending');
  if (pending !== undefined) return results.map((result) => result ?? pending);
  await observeWhere(false);
  return results as WindowMeasurement[];
}

function readsRouter(metric: MetricSpec): boolean {
  if (Object.keys(metric).length !== 1) return false;
  const kind = metricKind(metric);
  return isWindowMetric(kind) || kind === 'compareWithStable';
}

/**
 * What the metric saw, and the last router second it consumed
 * (`throughSecond`, the next interval's `span.afterSecond`; the given
 * `afterSecond` for metrics that do not read the router, or read nothing).
 * When a template has several router metrics, each reports its own (the
 * same, unless a second completed between their reads); continuing from the
 * largest judges no second twice.
 */
export async function observeInterval(
  metric: MetricSpec,
  context: ObserveContext,
): Promise<WindowMeasurement> {
  // The schema gives every metric exactly one kind; a hand-made one without reads as unknown.
  const kind = (Object.keys(metric) as MetricKind[]).length === 1 ? metricKind(metric) : undefined;
  const unchanged = (observation: Observation): WindowMeasurement => ({
    observation,
    throughSecond: context.span.afterSecond,
  });
  try {
    return await dispatch(kind, metric, context, unchanged);
  } catch (error) {
    // A provider bug must not stop the analysis loop; it is an error measurement like any other.
    return unchanged(
      errorObservation(
        `The ${kind ?? 'unknown'} metric of template ${context.template} failed unexpectedly: ${describeFailure(error)}.`,
      ),
    );
  }
}

async function dispatch(
  kind: MetricKind | undefined,
  metric: MetricSpec,
  context: ObserveContext,
  unchanged: (observation: Observation) => WindowMeasurement,
): Promise<WindowMeasurement> {
  const routerService = `${context.service}/${context.environment}`;
  const subject = subjectOf(context);
  const windowOptions = {
    source: context.window,
    routerService,
    pool: context.pool,
    span: context.span,
    signal: context.signal,
  };
  if (isWindowMetric(kind)) return observePoolWindow(windowOptions);
  switch (kind) {
    case 'compareWithStable':
      if (context.stablePool === null)
        return unchanged(
          errorObservation(
            `compareWithStable in template ${context.template} needs a stable pool to compare pool ${context.pool} of ${routerService} with, and there is none.`,
          ),
        );
      return observeComparison({ ...windowOptions, stablePool: context.stablePool });
    case 'prometheus': {
      const spec = metric.prometheus!;
      return unchanged(
        await queryPrometheus({
          query: spec.query,
          address: spec.address,
          placeholders: { ...subject, routerService },
          timeoutMs: context.fetchTimeoutMs,
          signal: context.signal,
        }),
      );
    }
    case 'webhook': {
      const spec = metric.webhook!;
      return unchanged(
        await callWebhook({
          url: spec.url,
          payload: subject,
          timeoutMs:
            context.fetchTimeoutMs ??
            (spec.timeout === undefined ? undefined : durationMs(spec.timeout)),
          signal: context.signal,
        }),
      );
    }
    case 'command': {
      const spec = metric.command!;
      return unchanged(
        await runCheckCommand({
          run: spec.run,
          env: context.commandEnv,
          identity: subject,
          cwd: context.commandCwd,
          timeoutMs: spec.timeout === undefined ? undefined : durationMs(spec.timeout),
          signal: context.signal,
        }),
      );
    }
    case undefined:
      return unchanged(
        errorObservation(
          `Metric ${context.metricIndex} of template ${context.template} names no kind of metric; give it one, e.g. successRate.`,
        ),
      );
    default:
      // A kind added to the schema without a provider fails to compile here.
      return unchanged(
        errorObservation(
          `Switchyard has no provider for the ${kind satisfies never} metric of template ${context.template}.`,
        ),
      );
  }
}

/** What is judged, and nothing of how to reach it: what a webhook receives, what a query and a command are told. */
function subjectOf(context: AnalysisSubject): AnalysisSubject {
  const { service, environment, revision, version, pool, stablePool, template, metricIndex } =
    context;
  return { service, environment, revision, version, pool, stablePool, template, metricIndex };
}
