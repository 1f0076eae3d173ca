export { RouterMetrics } from './router-metrics.ts';
export { LATENCY_BUCKETS_SECONDS } from './instance-metrics.ts';
export type { InstanceKey, RouterMetricsOptions } from './router-metrics.ts';
export { RollingWindow, DEFAULT_WINDOW_SECONDS } from './rolling-window.ts';
export type { WindowStats } from './rolling-window.ts';
export { LATENCY_RELATIVE_PRECISION } from './latency-histogram.ts';
export { systemClock } from './clock.ts';
export type { Clock } from './clock.ts';
