/**
 * One vocabulary for what happened (STYLE.md §8): every rollout transition,
 * event, CLI line and notification names one of these reasons, each paired
 * with a sentence for people. A const object rather than an enum
 * (erasableSyntaxOnly); the type is the union of its values.
 */
export const Reason = {
  RolloutCreated: 'RolloutCreated',
  RollbackCreated: 'RollbackCreated',
  StrategyNotSupported: 'StrategyNotSupported',
  HookStarted: 'HookStarted',
  HookSucceeded: 'HookSucceeded',
  HookFailed: 'HookFailed',
  PoolStarting: 'PoolStarting',
  PoolHealthy: 'PoolHealthy',
  StartupTimeout: 'StartupTimeout',
  PreviewReady: 'PreviewReady',
  AwaitingPromote: 'AwaitingPromote',
  PromoteRequested: 'PromoteRequested',
  ScalingUp: 'ScalingUp',
  TrafficSwitched: 'TrafficSwitched',
  ScaleDownDelay: 'ScaleDownDelay',
  ScalingDown: 'ScalingDown',
  RolloutSucceeded: 'RolloutSucceeded',
  AbortRequested: 'AbortRequested',
  RollbackRequested: 'RollbackRequested',
  RemovingNewPool: 'RemovingNewPool',
  RolloutAborted: 'RolloutAborted',
  RolledBack: 'RolledBack',
  RolloutFailed: 'RolloutFailed',
  Paused: 'Paused',
  Resumed: 'Resumed',
  CommandIgnored: 'CommandIgnored',
  InstanceStarted: 'InstanceStarted',
  InstanceStartFailed: 'InstanceStartFailed',
  InstanceStopped: 'InstanceStopped',
  InstanceExited: 'InstanceExited',
  OrphanStopped: 'OrphanStopped',
  RouterUpdated: 'RouterUpdated',
  TrafficSet: 'TrafficSet',
  Scaled: 'Scaled',
  CleanupApplied: 'CleanupApplied',
  LockReleased: 'LockReleased',
  CommandRecorded: 'CommandRecorded',
} as const;

export type Reason = (typeof Reason)[keyof typeof Reason];
