/**
 * The steps every strategy takes the same way — enter a phase with one
 * event, wait, record a command, gate on a hook, wait for a pool to be gone,
 * begin — built once per strategy from what differs between them: the
 * store's step number for a state, its status, and what it waits for. The
 * decisions (which phase comes next, what a failure undoes) stay in each
 * strategy's own file.
 */
import type { ResolvedSpec } from '../spec/index.ts';
import type { RolloutStatus } from '../state/store.ts';
import type { Action, HookName } from './actions.ts';
import { ROLLOUT_FAILED } from './outcome.ts';
import type { Mark, Outcome } from './outcome.ts';
import { Reason } from './reasons.ts';
import type { Command, HookResult, StrategyInput, StrategyStep } from './strategy.ts';
import { countInstances } from './strategy-kit.ts';
import type { TakenCommands } from './strategy-kit.ts';
import { livePool } from './topology.ts';

/** The pool live when a rollout began. */
export interface StablePool {
  readonly pool: string;
  readonly revision: number;
  readonly version: string;
}

/** What every strategy's state holds, and the shared steps read. */
export interface PhasedState {
  readonly phase: string;
  /** Epoch ms at which the phase began. */
  readonly phaseSince: number;
  /** The pool the new revision runs in. */
  readonly newPool: string;
  /** The pool live when the rollout began; null on a first deploy. */
  readonly stable: StablePool | null;
  readonly lastCommandId: number;
  /** While the new pool is being removed: how the rollout ends once it is gone. */
  readonly outcome: Outcome | null;
}

/** Phases every strategy has; phaseSteps does not compile for a state without them. */
type SharedPhase = 'pending' | 'preDeploy' | 'done';

type WaitAction = Action & { readonly type: 'wait' };

export interface PhaseRules<S extends PhasedState> {
  /** The store's numeric step for a state. */
  readonly stepNumber: (state: S) => number;
  /** The status of a state, for events that do not name one. */
  readonly statusOf: (state: S, spec: ResolvedSpec) => RolloutStatus;
  /** What a state waits for while nothing happens (never asked once done). */
  readonly waitOf: (input: StrategyInput<S>, state: S) => WaitAction;
  /**
   * Keep every end on the state as its outcome, success included (rolling);
   * otherwise only the outcome a transition set itself is kept. Default false.
   */
  readonly keepsEveryOutcome?: boolean;
}

export interface PhaseSteps<S extends PhasedState> {
  /**
   * Into `phase` with `actions` and one event. A new phase starts its clock
   * (`phaseSince` is now); staying in the same phase keeps it.
   */
  to(
    input: StrategyInput<S>,
    state: S,
    phase: S['phase'],
    actions: readonly Action[],
    mark: Mark,
  ): StrategyStep<S>;
  /** The `markStatus` action for `mark` on `state`. */
  markOf(input: StrategyInput<S>, state: S, mark: Mark): Action;
  /** Same phase, new state (a command was taken): one event, status recomputed. */
  record(input: StrategyInput<S>, state: S, mark: Mark): StrategyStep<S>;
  /** Nothing to do yet: say what the rollout waits for, and until when. */
  stay(input: StrategyInput<S>, state: S): StrategyStep<S>;
  /**
   * The first step: pools left over beside the live one (a cleanup that
   * never ran) go first, then the preDeploy hook runs, or `start` when there
   * is none.
   */
  begin(input: StrategyInput<S>, state: S, start: () => StrategyStep<S>): StrategyStep<S>;
  /**
   * Gating hooks are asked for again on every step until their result is in:
   * a restarted controller reruns one that was cut short. Then `passed`, or
   * `failed` with the hook's result.
   */
  gateOnHook(
    input: StrategyInput<S>,
    state: S,
    hook: HookName,
    then: {
      readonly passed: () => StrategyStep<S>;
      readonly failed: (result: HookResult) => StrategyStep<S>;
    },
  ): StrategyStep<S>;
  /**
   * Once no instance of the stable pool is left (at once on a first deploy),
   * done: the rollout succeeded, as `message` says; undefined until then.
   */
  awaitStableGone(input: StrategyInput<S>, state: S, message: string): StrategyStep<S> | undefined;
  /** Once no instance of the new pool is left, done with the state's outcome; undefined until then. */
  awaitNewGone(input: StrategyInput<S>, state: S): StrategyStep<S> | undefined;
  /**
   * `step` after commands were taken: when they changed the state but `step`
   * is no transition (only pause, resume or promote came), one event records
   * the last of them, named by `label`.
   */
  noteCommands(
    input: StrategyInput<S>,
    taken: TakenCommands<S>,
    step: StrategyStep<S>,
    label?: (command: Command) => string,
  ): StrategyStep<S>;
}

export function phaseSteps<S extends PhasedState>(
  rules: PhaseRules<S> & (SharedPhase extends S['phase'] ? unknown : never),
): PhaseSteps<S> {
  type Input = StrategyInput<S>;
  type Step = StrategyStep<S>;
  const preDeploy = 'preDeploy' as S['phase'];
  const done = 'done' as S['phase'];

  function markOf(input: Input, state: S, mark: Mark): Action {
    return {
      type: 'markStatus',
      status: mark.status ?? rules.statusOf(state, input.spec),
      reason: mark.reason,
      message: mark.message,
    };
  }

  function to(
    input: Input,
    state: S,
    phase: S['phase'],
    actions: readonly Action[],
    mark: Mark,
  ): Step {
    let next: S = phase === state.phase ? state : { ...state, phase, phaseSince: input.now };
    if (phase === done && rules.keepsEveryOutcome === true) {
      const outcome: Outcome = {
        status: mark.status ?? 'succeeded',
        reason: mark.reason,
        message: mark.message,
      };
      next = { ...next, outcome };
    }
    return {
      state: next,
      step: rules.stepNumber(next),
      actions: [...actions, markOf(input, next, mark)],
    };
  }

  function record(input: Input, state: S, mark: Mark): Step {
    return { state, step: rules.stepNumber(state), actions: [markOf(input, state, mark)] };
  }

  function stay(input: Input, state: S): Step {
    return {
      state,
      step: rules.stepNumber(state),
      actions: state.phase === done ? [] : [rules.waitOf(input, state)],
    };
  }

  function begin(input: Input, state: S, start: () => Step): Step {
    const live = livePool(input.topology);
    const leftovers: Action[] = input.topology.pools
      .filter((pool) => pool.name !== live?.name)
      .map((pool) => ({ type: 'removePool', pool: pool.name }));
    if (input.spec.hooks.preDeploy !== undefined) {
      return to(input, state, preDeploy, [...leftovers, { type: 'runHook', hook: 'preDeploy' }], {
        reason: Reason.HookStarted,
        message: `Running the preDeploy hook before ${input.target.version} starts.`,
      });
    }
    const started = start();
    return { ...started, actions: [...leftovers, ...started.actions] };
  }

  function gateOnHook(
    input: Input,
    state: S,
    hook: HookName,
    then: { readonly passed: () => Step; readonly failed: (result: HookResult) => Step },
  ): Step {
    const result = input.observations.hooks[hook];
    if (result === undefined) {
      return {
        state,
        step: rules.stepNumber(state),
        actions: [
          { type: 'runHook', hook },
          { type: 'wait', until: null, for: `the ${hook} hook` },
        ],
      };
    }
    return result.ok ? then.passed() : then.failed(result);
  }

  function awaitGone(
    input: Input,
    state: S,
    pool: { readonly pool: string; readonly revision: number } | null,
    outcome: Outcome,
  ): Step | undefined {
    if (pool !== null && countInstances(input.observations, pool.pool, pool.revision, false) > 0) {
      return undefined;
    }
    return to(input, state, done, [], outcome);
  }

  function awaitStableGone(input: Input, state: S, message: string): Step | undefined {
    const outcome: Outcome = { status: 'succeeded', reason: Reason.RolloutSucceeded, message };
    return awaitGone(input, state, state.stable, outcome);
  }

  function awaitNewGone(input: Input, state: S): Step | undefined {
    const pool = { pool: state.newPool, revision: input.target.revision };
    return awaitGone(input, state, pool, state.outcome ?? ROLLOUT_FAILED);
  }

  function noteCommands(
    input: Input,
    taken: TakenCommands<S>,
    step: Step,
    label: (command: Command) => string = (command) => command.name,
  ): Step {
    const transition = step.actions.some((action) => action.type === 'markStatus');
    const last = taken.commands.at(-1);
    if (transition || last === undefined) return step;
    const reason =
      last.name === 'pause'
        ? Reason.Paused
        : last.name === 'resume'
          ? Reason.Resumed
          : Reason.PromoteRequested;
    const mark = { reason, message: `${label(last)} requested by ${last.requestedBy}.` };
    return { ...step, actions: [...step.actions, markOf(input, taken.state, mark)] };
  }

  return {
    to,
    markOf,
    record,
    stay,
    begin,
    gateOnHook,
    awaitStableGone,
    awaitNewGone,
    noteCommands,
  };
}

/**
 * What a phase waits for when its strategy has nothing more particular to
 * say: the closing phases wait for pools to drain and stop, any other for
 * the phase itself.
 */
export function defaultWait(phase: string): WaitAction {
  switch (phase) {
    case 'scalingDown':
      return { type: 'wait', until: null, for: 'the old pool to drain and stop' };
    case 'removingNew':
      return { type: 'wait', until: null, for: 'the new pool to drain and stop' };
    default:
      return { type: 'wait', until: null, for: phase };
  }
}
