export type { Action, HookName } from './actions.ts';
export { HOOK_NAMES } from './actions.ts';
export { Reason } from './reasons.ts';
export type { PoolPlan, Topology } from './topology.ts';
export { EMPTY_TOPOLOGY, applyActions, livePool } from './topology.ts';
export type {
  Command,
  CommandName,
  HookResult,
  InstanceObservation,
  Observations,
  StrategyInput,
  StrategyStep,
  TargetRevision,
} from './strategy.ts';
export { COMMAND_NAMES } from './strategy.ts';
export type { BlueGreenPhase, BlueGreenState } from './blue-green.ts';
export type { Outcome } from './outcome.ts';
export {
  BLUE_GREEN_PHASES,
  blueGreen,
  blueGreenStepNumber,
  describeBlueGreen,
  statusOf,
} from './blue-green.ts';
