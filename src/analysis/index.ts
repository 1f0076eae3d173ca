/**
 * Analysis (DESIGN.md, analysis/): the vocabulary shared with the metric
 * providers, and the pure judge that turns their observations into
 * measurements and a run's verdict. See docs/analysis.md.
 */
export * from './types.ts';
export {
  combineVerdicts,
  judgeInterval,
  nextDueAt,
  startRun,
  stopRun,
  type AnalysisRunState,
  type JudgeIntervalOptions,
  type JudgeIntervalResult,
  type JudgedTemplate,
  type MetricRunState,
  type StartRunOptions,
} from './judge.ts';
export { measure, metricKind, type MeasureOptions, type MetricKind } from './thresholds.ts';
export {
  compareWithStable,
  evidenceOf,
  startComparison,
  type CompareOptions,
  type CompareResult,
  type ComparisonState,
  type PoolTotals,
} from './compare.ts';
export { RATE_RATIOS, logRejectionThreshold } from './sequential-test.ts';
