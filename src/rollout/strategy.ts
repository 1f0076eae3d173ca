/**
 * The shape every strategy has (DESIGN.md, rollout/): a pure function of the
 * spec, the rollout's own state, what the controller observed and the time,
 * returning the next state and the actions to take. No I/O and no timers:
 * `now` comes in, deadlines go out as `wait` actions.
 */
import type { RunVerdict } from '../analysis/types.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { HookName } from './actions.ts';
import type { Action } from './actions.ts';
import type { Topology } from './topology.ts';

export interface InstanceObservation {
  readonly pool: string;
  readonly revision: number;
  /** False once the controller decided to stop it (it is draining or stopping). */
  readonly desired: boolean;
  /** Started and passing the router's health checks. */
  readonly healthy: boolean;
}

export interface HookResult {
  readonly ok: boolean;
  /** e.g. "exit code 1", "timed out after 10m". */
  readonly detail: string;
}

/** `promoteFull` is `promote --full`: skip every remaining step. */
export const COMMAND_NAMES = [
  'promote',
  'promoteFull',
  'abort',
  'pause',
  'resume',
  'rollback',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** A request recorded on the rollout by the control plane (an event), not yet handled. */
export interface Command {
  readonly id: number;
  readonly name: CommandName;
  readonly requestedBy: string;
}

/** Where an analysis run stands (all of its templates together). */
export interface AnalysisObservation {
  /** 'running' until every template's run ended; 'failed' as soon as one failed. */
  readonly verdict: RunVerdict;
  /** A sentence: the deciding measurement, or the latest one. */
  readonly message: string;
}

export interface Observations {
  /** Every instance the store holds for the service. */
  readonly instances: readonly InstanceObservation[];
  /** Hooks that finished for this rollout. */
  readonly hooks: Partial<Readonly<Record<HookName, HookResult>>>;
  /** Commands newer than the state's `lastCommandId`, oldest first. */
  readonly commands: readonly Command[];
  /** Analysis runs the strategy started (by the `run` name of its startAnalysis action). */
  readonly analysis: Readonly<Record<string, AnalysisObservation>>;
}

/** The revision the rollout deploys. */
export interface TargetRevision {
  readonly revision: number;
  readonly revisionId: number;
  readonly version: string;
}

export interface StrategyInput<State> {
  readonly spec: ResolvedSpec;
  readonly target: TargetRevision;
  /** Undefined on the first call for a rollout (it is pending). */
  readonly state: State | undefined;
  /** The service's topology as persisted before this step. */
  readonly topology: Topology;
  readonly observations: Observations;
  /** Epoch milliseconds, from the controller's injected clock. */
  readonly now: number;
}

export interface StrategyStep<State> {
  readonly state: State;
  /** Empty when nothing changed; a transition always carries one `markStatus`. */
  readonly actions: readonly Action[];
  /** The store's numeric step for this state. */
  readonly step: number;
}
