export { HealthChecker } from './health-checker.ts';
export type {
  ApplyHealthOptions,
  HealthChange,
  HealthCheckerOptions,
  HealthyInstances,
  InstanceHealthEntry,
} from './health-checker.ts';
export { HealthReason } from './instance-health.ts';
export { systemScheduler } from './scheduler.ts';
export type { Scheduler, TimerHandle } from './scheduler.ts';
