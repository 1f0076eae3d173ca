export type {
  InstanceRecord,
  InstanceRequest,
  InstanceState,
  InstanceStatus,
  LogOptions,
  Runtime,
  StopResult,
} from './runtime.ts';
export { createRuntime } from './create-runtime.ts';
export type { CreateRuntimeOptions, RuntimeType } from './create-runtime.ts';
export { reconcileInstances } from './reconcile.ts';
export type { ReconcileOptions, ReconcileSummary } from './reconcile.ts';
export {
  DEFAULT_LOG_MAX_BYTES,
  PROCESS_RUNTIME_TYPE,
  ProcessRuntime,
  instanceEnvironment,
  processHandleOf,
} from './process/process-runtime.ts';
export type { ProcessHandle, ProcessRuntimeOptions } from './process/process-runtime.ts';
