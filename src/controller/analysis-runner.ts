/**
 * Takes the measurements of a rollout's analysis runs when they are due: for
 * each run (one template) whose `dueAt` has come by the injected clock, the
 * providers observe every metric of the template over the seconds since the
 * last interval, the judge folds them into the run, and the result is saved
 * on the rollout — each measurement and each verdict an event in the store.
 * The strategy reads the verdicts on its next step. A measurement in flight
 * does not hold up the loop (a webhook may take seconds); a controller
 * killed mid-measurement measures that interval again after its restart.
 */
import { judgeInterval } from '../analysis/judge.ts';
import { observeTemplate } from '../analysis/providers/observe.ts';
import type { WindowSource } from '../analysis/providers/router-window.ts';
import type { Measurement } from '../analysis/types.ts';
import { Reason } from '../rollout/reasons.ts';
import { durationMs } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { Revision, Rollout, StateStore } from '../state/store.ts';
import { isFinal } from '../state/sqlite/rollout-table.ts';
import type { AnalysisRecord, TemplateRun } from './analysis-records.ts';
import { commandCwd, rolloutCommandEnvironment } from './command-environment.ts';
import type { Logger } from './logger.ts';
import { keyOf, rolloutData } from './rollout-data.ts';
import { maskSecrets } from '../runtime/secret-mask.ts';
import { secretValues } from './secrets.ts';

export const MEASUREMENT_EVENT = 'analysis.measurement';
export const VERDICT_EVENT = 'analysis.verdict';

export interface AnalysisRunnerOptions {
  readonly store: StateStore;
  /** The router's windows (its admin client). */
  readonly window: WindowSource;
  readonly now: () => Date;
  readonly logger: Logger;
}

export class AnalysisRunner {
  readonly #o: AnalysisRunnerOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();

  constructor(options: AnalysisRunnerOptions) {
    this.#o = options;
  }

  /** Starts the rollout's due measurements that are not already in flight. */
  measureDue(rollout: Rollout): void {
    const records = rolloutData(rollout).analysis ?? {};
    const now = this.#o.now().getTime();
    for (const [runName, record] of Object.entries(records)) {
      for (const [template, run] of Object.entries(record.runs)) {
        const due = run.state.verdict === 'running' ? run.state.dueAt : null;
        if (due === null || now < due) continue;
        const key = `${rollout.id}/${runName}/${template}`;
        if (this.#inFlight.has(key)) continue;
        const measuring = this.#measure(rollout, runName, record, template, run)
          .catch((error: unknown) => {
            this.#o.logger.error(
              { err: error, rollout: rollout.id, template },
              'An analysis measurement failed.',
            );
          })
          .finally(() => this.#inFlight.delete(key));
        this.#inFlight.set(key, measuring);
      }
    }
  }

  /** Aborts the measurements in flight and waits for them. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  async #measure(
    rollout: Rollout,
    runName: string,
    record: AnalysisRecord,
    template: string,
    run: TemplateRun,
  ): Promise<void> {
    const { store } = this.#o;
    const revision = store.getRevision(rollout.revisionId) as Revision;
    const spec = revision.spec as ResolvedSpec;
    const templateSpec = spec.analysis.templates[template];
    if (templateSpec === undefined) return;
    let secrets: Record<string, string> = {};
    try {
      secrets = secretValues(spec.secrets);
    } catch {
      // A missing secret fails the instances and hooks that need it; a command metric runs without.
    }
    const span = {
      afterSecond: run.throughSecond,
      seconds: intervalSeconds(templateSpec.interval),
    };
    const commandEnv = rolloutCommandEnvironment({ spec, secrets, rollout, revision });
    const results = await observeTemplate(templateSpec.metrics, (metricIndex) => ({
      service: rollout.service,
      environment: rollout.environment,
      revision: revision.number,
      version: revision.version,
      pool: record.pool,
      stablePool: record.stablePool,
      template,
      metricIndex,
      window: this.#o.window,
      span,
      commandEnv,
      commandCwd: commandCwd(spec),
      signal: this.#stop.signal,
    }));
    if (this.#stop.signal.aborted) return;
    this.#commit(rollout.id, runName, template, run, {
      observations: results.map((result) => result.observation),
      throughSecond: latest(results.map((result) => result.throughSecond)) ?? run.throughSecond,
      templateSpec,
      secrets,
    });
  }

  /** Saves the judged interval unless the run was stopped or judged meanwhile (all synchronous). */
  #commit(
    rolloutId: number,
    runName: string,
    template: string,
    measured: TemplateRun,
    result: {
      observations: Parameters<typeof judgeInterval>[0]['observations'];
      throughSecond: number | null;
      templateSpec: Parameters<typeof judgeInterval>[0]['spec'];
      secrets: Readonly<Record<string, string>>;
    },
  ): void {
    const { store } = this.#o;
    const current = store.getRollout(rolloutId);
    if (current === undefined || isFinal(current.status)) return;
    const data = rolloutData(current);
    const record = data.analysis?.[runName];
    const run = record?.runs[template];
    if (record === undefined || run === undefined || run.state.dueAt !== measured.state.dueAt)
      return;
    const judged = judgeInterval({
      spec: result.templateSpec,
      state: run.state,
      observations: result.observations,
      now: this.#o.now().getTime(),
    });
    // A pending interval consumed no second: the next look measures the same span.
    const next: TemplateRun = {
      state: judged.state,
      throughSecond: judged.pending ? run.throughSecond : result.throughSecond,
    };
    const runs = { ...record.runs, [template]: next };
    store.updateRollout(rolloutId, {
      data: { ...data, analysis: { ...data.analysis, [runName]: { ...record, runs } } },
    });
    const mask = (text: string) => maskSecrets(text, result.secrets);
    for (const measurement of judged.measurements) {
      store.appendEvent({
        ...keyOf(current),
        rolloutId,
        type: MEASUREMENT_EVENT,
        reason: Reason.AnalysisMeasured,
        message: `${template}: ${mask(measurement.message)}`,
        data: measurementData(runName, template, measurement),
      });
    }
    if (judged.state.verdict !== 'running') {
      const verdict = judged.state.verdict;
      store.appendEvent({
        ...keyOf(current),
        rolloutId,
        type: VERDICT_EVENT,
        reason:
          verdict === 'successful'
            ? Reason.AnalysisSucceeded
            : verdict === 'failed'
              ? Reason.AnalysisFailed
              : Reason.AnalysisInconclusive,
        message: mask(judged.state.message),
        data: { run: runName, template, verdict },
      });
    }
  }
}

function measurementData(
  runName: string,
  template: string,
  m: Measurement,
): Record<string, unknown> {
  return {
    run: runName,
    template,
    metric: m.metric,
    index: m.index,
    phase: m.phase,
    value: m.value,
  };
}

/** The first interval reads the last `interval` seconds of the router's window. */
function intervalSeconds(interval: string): number {
  return Math.max(1, Math.ceil(durationMs(interval) / 1000));
}

function latest(seconds: readonly (number | null)[]): number | null {
  const known = seconds.filter((second): second is number => second !== null);
  return known.length === 0 ? null : Math.max(...known);
}
