export type {
  ContainerLaunch,
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
export { CONTAINER_RUNTIME_TYPE, ContainerRuntime } from './container/container-runtime.ts';
export type { ContainerRuntimeOptions } from './container/container-runtime.ts';
export { ContainerEngine } from './container/container-engine.ts';
export { describeContainer } from './container/container-plan.ts';
export type { ContainerCreateBody, ContainerPlan } from './container/container-plan.ts';
export { LABEL as CONTAINER_LABELS } from './container/labels.ts';
