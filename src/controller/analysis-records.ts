/**
 * The analysis runs of a rollout as the controller keeps them in the
 * rollout's `data.analysis` (beside the topology and the strategy's state):
 * under each run name a strategy chose (`background`, `step-2`), one
 * AnalysisRun per template with the router second it has measured through.
 * Pure functions: the reconciler folds a step's startAnalysis/stopAnalysis
 * actions in before it saves the step, and the strategy reads the verdicts.
 */
import { combineVerdicts, startRun, stopRun } from '../analysis/judge.ts';
import type { AnalysisRunState } from '../analysis/judge.ts';
import type { Action } from '../rollout/actions.ts';
import type { AnalysisObservation } from '../rollout/strategy.ts';
import type { ResolvedSpec } from '../spec/index.ts';

export interface TemplateRun {
  readonly state: AnalysisRunState;
  /**
   * The last router second this run's window metrics consumed; at first, the
   * second the run began in (the router and the controller share the wall clock).
   */
  readonly throughSecond: number | null;
}

export interface AnalysisRecord {
  /** The judged pool and the one it is compared with. */
  readonly pool: string;
  readonly stablePool: string | null;
  readonly background: boolean;
  /** By template name, in the order the strategy named them. */
  readonly runs: Readonly<Record<string, TemplateRun>>;
}

export type AnalysisRecords = Readonly<Record<string, AnalysisRecord>>;

/** The records after a step's analysis actions; others are left alone. */
export function applyAnalysisActions(
  records: AnalysisRecords,
  actions: readonly Action[],
  spec: ResolvedSpec,
  now: number,
): AnalysisRecords {
  let next = records;
  for (const action of actions) {
    if (action.type === 'startAnalysis' && next[action.run] === undefined) {
      const runs: Record<string, TemplateRun> = {};
      for (const template of action.templates) {
        const templateSpec = spec.analysis.templates[template];
        // The spec's validation makes sure a named template exists.
        if (templateSpec === undefined) continue;
        runs[template] = {
          state: startRun({ template, spec: templateSpec, background: action.background, now }),
          // Only seconds after the run began: the ones before had the old weights.
          throughSecond: Math.floor(now / 1000),
        };
      }
      next = {
        ...next,
        [action.run]: {
          pool: action.pool,
          stablePool: action.stablePool,
          background: action.background,
          runs,
        },
      };
    }
    if (action.type === 'stopAnalysis' && next[action.run] !== undefined) {
      next = { ...next, [action.run]: stopRecord(next[action.run] as AnalysisRecord, now) };
    }
  }
  return next;
}

/** Every run of the record stopped (an ended run stays as it ended). */
export function stopRecord(record: AnalysisRecord, now: number): AnalysisRecord {
  const runs: Record<string, TemplateRun> = {};
  for (const [name, run] of Object.entries(record.runs)) {
    runs[name] = { ...run, state: stopRun(run.state, now) };
  }
  return { ...record, runs };
}

/** What the strategy observes: each run name's templates combined into one verdict. */
export function analysisObservations(
  records: AnalysisRecords,
): Record<string, AnalysisObservation> {
  const observations: Record<string, AnalysisObservation> = {};
  for (const [name, record] of Object.entries(records)) {
    observations[name] = combineVerdicts(Object.values(record.runs).map((run) => run.state));
  }
  return observations;
}
