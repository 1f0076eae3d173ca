/**
 * A rolling update as a pure function (DESIGN.md, rollout/; STYLE.md §4),
 * with the semantics of a Kubernetes Deployment: the old revision keeps
 * running in the live pool, the new one grows in the other pool, and pool
 * sizes change a few instances at a time:
 *
 *   - at most `replicas + maxSurge` instances exist at once (maxSurge as a
 *     percentage rounds up), counting planned ones not started yet and old
 *     ones still draining: maxSurge is the room the machines have;
 *   - at least `replicas - maxUnavailable` instances are available (a
 *     percentage rounds down); an old instance is available while healthy, a
 *     new one once the count of healthy new instances has not gone up for
 *     `minHealthyTime`;
 *   - the router splits traffic between the two pools in proportion to their
 *     healthy instances: every step that changes a pool or a healthy count
 *     sends those counts as weights, so each instance takes an equal share as
 *     if there were one pool;
 *   - no progress (more new instances available, fewer old ones) for
 *     `progressDeadline` fails the rollout; with `autoRevert` the old pool goes
 *     back to full size and the new one is removed.
 *
 * Like blue/green, every deadline is an absolute time in the state, so a
 * controller restarted at any point continues where the last one stopped.
 */
import { DEFAULT_ROLLING, durationMs, effectiveStrategy } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { PoolWeight, RolloutStatus } from '../state/store.ts';
import type { Action, HookName } from './actions.ts';
import { finalStatus } from './outcome.ts';
import type { Mark, Outcome } from './outcome.ts';
import { describeSharedPhase, secondsLeft } from './phase-description.ts';
import { defaultWait, phaseSteps } from './phase-steps.ts';
import type { PhasedState, StablePool } from './phase-steps.ts';
import { allTrafficTo, stableWeights, startPoolAction } from './pool-actions.ts';
import { Reason } from './reasons.ts';
import type { Command, HookResult, StrategyInput, StrategyStep } from './strategy.ts';
import { haltIgnored, takeCommands } from './strategy-kit.ts';
import { livePool } from './topology.ts';
import type { Topology } from './topology.ts';

export const ROLLING_PHASES = [
  'pending',
  'preDeploy',
  'firstDeploy',
  'rolling',
  'postDeploy',
  'scalingDown',
  'reverting',
  'removingNew',
  'done',
] as const;
export type RollingPhase = (typeof ROLLING_PHASES)[number];

/** The pool live when the rollout began. */
export interface RollingStable extends StablePool {
  readonly revisionId: number;
  /** Its size when the rollout began: where a revert takes it back to. */
  readonly replicas: number;
}

export interface RollingState extends PhasedState {
  readonly kind: 'rolling';
  readonly phase: RollingPhase;
  /** The version being rolled out (for `status`). */
  readonly version: string;
  /** Null on a first deploy. */
  readonly stable: RollingStable | null;
  /** The new revision's replica count, and the budget resolved from it. */
  readonly replicas: number;
  readonly maxSurge: number;
  readonly maxUnavailable: number;
  /** Planned sizes of the two pools (what the last startPool asked for). */
  readonly oldReplicas: number;
  readonly newReplicas: number;
  /** Healthy instances of the new pool at the last step. */
  readonly newHealthy: number;
  /** Of those, how many count as available (minHealthyTime passed). */
  readonly newAvailable: number;
  /** When the healthy new count last went up, plus minHealthyTime: they are available from then. */
  readonly availableAt: number;
  /** When the rollout fails for want of progress; moved on by progress and by the time paused. */
  readonly deadlineAt: number;
  /** Set while paused: when the pause began. */
  readonly pausedAt: number | null;
  readonly postDeployPassed: boolean;
  /** A new instance took traffic at some point (postRollback runs only then). */
  readonly newServedTraffic: boolean;
  /** While reverting: healthy instances of the old pool at the last step. */
  readonly oldHealthy: number;
  /** While reverting or removing the new pool, and once done: how the rollout ends. */
  readonly outcome: Outcome | null;
}

type Input = StrategyInput<RollingState>;
type Step = StrategyStep<RollingState>;
type Stable = RollingStable;

/** What the controller sees of the two pools. */
interface Seen {
  readonly oldHealthy: number;
  readonly newHealthy: number;
  /** Instances that exist or are planned, whatever their pool, draining ones included. */
  readonly total: number;
  readonly oldLeft: number;
  readonly newLeft: number;
}

/** The phases `pause`, `abort` and `rollback` act on; later ones are on their way out. */
const STEERABLE: readonly RollingPhase[] = ['preDeploy', 'firstDeploy', 'rolling', 'postDeploy'];

const { to, markOf, record, stay, begin, gateOnHook, awaitStableGone, awaitNewGone } =
  phaseSteps<RollingState>({
    stepNumber: (state) => rollingStepNumber(state.phase),
    statusOf: rollingStatusOf,
    waitOf,
    // The end is kept whole, so `status` and a restarted controller read the same outcome.
    keepsEveryOutcome: true,
  });

export function rolling(input: Input): Step {
  if (input.state === undefined) return firstStep(input);
  const taken = takeRollingCommands(input.state, input.observations.commands, input.now);
  if (taken.halt !== undefined) return halt(input, taken.state, taken.halt);
  const step = advance(input, taken.state);
  if (taken.notes.length === 0) return step;
  const said = taken.notes.map((note) => note.message).join(' ');
  const last = taken.notes[taken.notes.length - 1] as Mark;
  const transition = step.actions.find((action) => action.type === 'markStatus');
  if (transition === undefined) {
    const mark = markOf(input, step.state, { ...last, message: said });
    return { ...step, actions: [...step.actions, mark] };
  }
  // Commands came with a transition: one event still, saying both.
  return {
    ...step,
    actions: step.actions.map((action) =>
      action === transition ? { ...transition, message: `${said} ${transition.message}` } : action,
    ),
  };
}

/** The step number the store keeps for a phase. */
export function rollingStepNumber(phase: RollingPhase): number {
  return ROLLING_PHASES.indexOf(phase);
}

/**
 * maxSurge and maxUnavailable as instance counts for `replicas`, the way
 * Kubernetes resolves them: a percentage of maxSurge rounds up, one of
 * maxUnavailable rounds down, and if both come to zero one instance may be
 * unavailable (else nothing could ever be replaced).
 */
export function rollingBudget(
  replicas: number,
  spec: { readonly maxSurge: number | string; readonly maxUnavailable: number | string },
): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = countOf(spec.maxSurge, replicas, Math.ceil);
  const maxUnavailable = Math.min(replicas, countOf(spec.maxUnavailable, replicas, Math.floor));
  return { maxSurge, maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}

function advance(input: Input, state: RollingState): Step {
  switch (state.phase) {
    case 'pending':
    case 'done':
      return stay(input, state);
    case 'preDeploy':
      return gate(input, state, 'preDeploy', () => startNew(input, state));
    case 'firstDeploy':
      return reconcileFirstDeploy(input, state);
    case 'rolling':
      return reconcileRolling(input, state);
    case 'postDeploy':
      return gate(input, state, 'postDeploy', () => afterPostDeploy(input, state));
    case 'scalingDown': {
      const message = `${state.version} runs all ${state.replicas} instance(s) and takes all traffic; the old pool is stopped.`;
      return awaitStableGone(input, state, message) ?? stay(input, state);
    }
    case 'reverting':
      return reconcileRevert(input, state);
    case 'removingNew':
      return awaitNewGone(input, state) ?? stay(input, state);
  }
}

function firstStep(input: Input): Step {
  const { spec, topology, target, now } = input;
  const live = livePool(topology);
  const settings = rollingSpec(spec);
  const budget = rollingBudget(spec.replicas, settings);
  const state: RollingState = {
    kind: 'rolling',
    phase: 'pending',
    phaseSince: now,
    version: target.version,
    newPool: live === undefined || live.name === 'b' ? 'a' : 'b',
    stable: live
      ? {
          pool: live.name,
          revision: live.revision,
          revisionId: live.revisionId,
          version: live.version,
          replicas: live.replicas,
        }
      : null,
    replicas: spec.replicas,
    maxSurge: budget.maxSurge,
    maxUnavailable: budget.maxUnavailable,
    oldReplicas: live?.replicas ?? 0,
    newReplicas: 0,
    newHealthy: 0,
    newAvailable: 0,
    availableAt: now,
    deadlineAt: now + durationMs(settings.progressDeadline),
    pausedAt: null,
    postDeployPassed: false,
    newServedTraffic: false,
    oldHealthy: 0,
    lastCommandId: 0,
    outcome: null,
  };
  return begin(input, state, () => startNew(input, state));
}

function startNew(input: Input, state: RollingState): Step {
  const { now } = input;
  if (state.pausedAt !== null) return stay(input, state);
  const fresh = { ...state, deadlineAt: now + progressDeadlineMs(input) };
  if (state.stable === null) {
    return to(
      input,
      { ...fresh, newReplicas: state.replicas },
      'firstDeploy',
      [
        startPoolAction(state.newPool, input.target, state.replicas),
        {
          type: 'setRouting',
          weights: [{ pool: state.newPool, weight: 0 }],
          previewPool: state.newPool,
        },
      ],
      {
        reason: Reason.PoolStarting,
        message: `First deploy: starting ${state.replicas} instance(s) of ${state.version} in pool ${state.newPool}; they take traffic once all pass their health checks.`,
      },
    );
  }
  const seen = observe(input, fresh);
  const next = planBatch(input, fresh, seen);
  const { stable } = state;
  return to(input, next, 'rolling', batchActions(input, fresh, next, seen), {
    reason: Reason.PoolStarting,
    message: `Rolling ${stable.version} (pool ${stable.pool}) over to ${state.version} (pool ${state.newPool}), ${state.replicas} instance(s) with maxSurge ${state.maxSurge} and maxUnavailable ${state.maxUnavailable}: ${batchSummary(input, fresh, next, seen)}`,
  });
}

/** First deploy: every instance healthy → (postDeploy) → 100%. */
function reconcileFirstDeploy(input: Input, state: RollingState): Step {
  const seen = observe(input, state);
  const next = foldHealth(input, state, seen);
  if (next.pausedAt !== null) return stay(input, next);
  if (input.now >= next.deadlineAt) return progressDeadline(input, next);
  if (seen.newHealthy < next.replicas) return stay(input, next);
  if (awaitsPostDeploy(input, next)) return enterPostDeploy(input, next, seen);
  return goLiveFirst(input, next);
}

function goLiveFirst(input: Input, state: RollingState): Step {
  return to(input, { ...state, newServedTraffic: true }, 'done', [allTrafficTo(state.newPool)], {
    status: 'succeeded',
    reason: Reason.RolloutSucceeded,
    message: `First deploy: all ${state.replicas} instance(s) of ${state.version} are healthy and take all traffic.`,
  });
}

/** One reconcile of the rolling phase: health, deadline, postDeploy, done?, then the next batch. */
function reconcileRolling(input: Input, state: RollingState): Step {
  const seen = observe(input, state);
  const next = foldHealth(input, state, seen);
  const paused = next.pausedAt !== null;
  if (!paused && input.now >= next.deadlineAt) return progressDeadline(input, next);
  if (!paused && awaitsPostDeploy(input, next) && seen.newHealthy > 0) {
    return enterPostDeploy(input, next, seen);
  }
  if (!paused && next.newAvailable >= next.replicas && next.oldReplicas === 0) {
    return finish(input, next, seen);
  }
  const planned = paused ? next : planBatch(input, next, seen);
  const actions = batchActions(input, next, planned, seen);
  if (actions.length === 0) return stay(input, planned);
  const membership = actions.some((action) => action.type === 'startPool');
  return to(input, served(planned, actions), 'rolling', actions, {
    reason: membership ? Reason.RollingBatch : Reason.RollingWeights,
    message: batchSummary(input, next, planned, seen),
  });
}

/**
 * The next batch, as Kubernetes sizes it: grow the new pool into whatever
 * room maxSurge leaves, shrink the old one by whatever availability spares.
 * Old instances removed count as progress.
 */
function planBatch(input: Input, state: RollingState, seen: Seen): RollingState {
  const room = state.replicas + state.maxSurge - seen.total;
  const newReplicas = Math.min(state.replicas, state.newReplicas + Math.max(0, room));
  // Shrinking keeps the oldest instances, so assume the ones removed were healthy.
  const available = Math.min(seen.oldHealthy, state.oldReplicas) + state.newAvailable;
  const spare = Math.max(0, available - (state.replicas - state.maxUnavailable));
  const oldReplicas = state.oldReplicas - Math.min(state.oldReplicas, spare);
  if (newReplicas === state.newReplicas && oldReplicas === state.oldReplicas) return state;
  return {
    ...state,
    newReplicas,
    oldReplicas,
    deadlineAt: oldReplicas < state.oldReplicas ? progressFrom(input, state) : state.deadlineAt,
  };
}

/** startPool for each pool whose size changed, and the weights when they or the healthy counts changed. */
function batchActions(
  input: Input,
  before: RollingState,
  after: RollingState,
  seen: Seen,
): Action[] {
  const stable = after.stable as Stable;
  const actions: Action[] = [];
  if (after.newReplicas !== before.newReplicas) {
    actions.push(startPoolAction(after.newPool, input.target, after.newReplicas));
  }
  if (after.oldReplicas !== before.oldReplicas) {
    // startPool on the old pool resizes it: the controller keeps its oldest instances.
    actions.push(startPoolAction(stable.pool, stable, after.oldReplicas));
  }
  const weights = weightsOf(input, after, seen);
  if (actions.length > 0 || !routes(input.topology, weights, after.newPool)) {
    actions.push({ type: 'setRouting', weights, previewPool: after.newPool });
  }
  return actions;
}

/** One sentence: what this step started and removed, and how traffic is split now. */
function batchSummary(input: Input, before: RollingState, after: RollingState, seen: Seen): string {
  const stable = after.stable as Stable;
  const parts: string[] = [];
  const started = after.newReplicas - before.newReplicas;
  const removed = before.oldReplicas - after.oldReplicas;
  if (started > 0) {
    parts.push(
      `starting ${started} instance(s) of ${after.version} in pool ${after.newPool} (${after.newReplicas} of ${after.replicas})`,
    );
  }
  if (removed > 0) {
    parts.push(
      `removing ${removed} instance(s) of ${stable.version} from pool ${stable.pool} (${after.oldReplicas} left)`,
    );
  }
  if (parts.length === 0) parts.push(`${seen.newHealthy} instance(s) of ${after.version} healthy`);
  if (after.pausedAt !== null) parts.push('paused: no instance starts or stops until resume');
  const weights = weightsOf(input, after, seen);
  const split = weights.map((weight) => `${weight.pool} ${weight.weight}`).join(', ');
  return `${capitalise(parts.join('; '))}; traffic by healthy instances: ${split}.`;
}

/**
 * Folds the new pool's healthy count into the state: a rise restarts
 * minHealthyTime; a drop takes availability down with it (as if the ones lost
 * were available); more available is progress. It works on counts, kept
 * small in the state: one instance turning healthy while another fails in
 * the same step leaves the count, and so minHealthyTime, where it was.
 */
function foldHealth(input: Input, state: RollingState, seen: Seen): RollingState {
  const { now } = input;
  const healthy = seen.newHealthy;
  let { newAvailable, availableAt } = state;
  if (healthy > state.newHealthy) availableAt = now + minHealthyMs(input);
  if (healthy < state.newHealthy) newAvailable -= state.newHealthy - healthy;
  if (now >= availableAt) newAvailable = healthy;
  newAvailable = Math.max(0, Math.min(newAvailable, healthy));
  if (
    healthy === state.newHealthy &&
    newAvailable === state.newAvailable &&
    availableAt === state.availableAt
  ) {
    return state;
  }
  return {
    ...state,
    newHealthy: healthy,
    newAvailable,
    availableAt,
    deadlineAt: newAvailable > state.newAvailable ? progressFrom(input, state) : state.deadlineAt,
  };
}

/** Every instance of the new revision available and the old pool down to zero: all traffic moves, the old pool goes. */
function finish(input: Input, state: RollingState, seen: Seen): Step {
  const stable = state.stable as Stable;
  const actions: Action[] = [
    allTrafficTo(state.newPool),
    { type: 'removePool', pool: stable.pool },
  ];
  if (input.spec.hooks.postPromote !== undefined) {
    actions.push({ type: 'runHook', hook: 'postPromote' });
  }
  const next = { ...state, newServedTraffic: true };
  if (seen.oldLeft > 0) {
    return to(input, next, 'scalingDown', actions, {
      reason: Reason.ScalingDown,
      message: `All ${state.replicas} instance(s) of ${state.version} are available in pool ${state.newPool} and take all traffic; pool ${stable.pool} (${stable.version}) is draining and stopping.`,
    });
  }
  return to(input, next, 'done', actions, {
    status: 'succeeded',
    reason: Reason.RolloutSucceeded,
    message: `All ${state.replicas} instance(s) of ${state.version} are available in pool ${state.newPool} and take all traffic; pool ${stable.pool} (${stable.version}) is gone.`,
  });
}

function awaitsPostDeploy(input: Input, state: RollingState): boolean {
  return input.spec.hooks.postDeploy !== undefined && !state.postDeployPassed;
}

/**
 * The first healthy instance(s) of the new revision stay at weight 0 on the
 * preview listener while postDeploy runs; nothing starts or stops meanwhile.
 */
function enterPostDeploy(input: Input, state: RollingState, seen: Seen): Step {
  const actions: Action[] =
    state.stable === null
      ? []
      : [
          {
            type: 'setRouting',
            weights: weightsOf(input, state, seen),
            previewPool: state.newPool,
          },
        ];
  actions.push({ type: 'runHook', hook: 'postDeploy' });
  return to(input, state, 'postDeploy', actions, {
    reason: Reason.HookStarted,
    message: `${seen.newHealthy} instance(s) of ${state.version} healthy on the preview listener; running the postDeploy hook before any of them takes traffic.`,
  });
}

function afterPostDeploy(input: Input, state: RollingState): Step {
  // The hook's run time does not count against progressDeadline.
  const passed = { ...state, postDeployPassed: true, deadlineAt: progressFrom(input, state) };
  if (state.stable === null) {
    if (state.pausedAt !== null) return stay(input, state);
    return goLiveFirst(input, passed);
  }
  const seen = observe(input, passed);
  const next = state.pausedAt === null ? planBatch(input, passed, seen) : passed;
  const actions = batchActions(input, state, next, seen);
  return to(input, served(next, actions), 'rolling', actions, {
    reason: Reason.HookSucceeded,
    message: `The postDeploy hook passed; ${lowercase(batchSummary(input, state, next, seen))}`,
  });
}

/** No progress for progressDeadline: revert (autoRevert) or stop where things are. */
function progressDeadline(input: Input, state: RollingState): Step {
  const deadline = rollingSpec(input.spec).progressDeadline;
  const stuck =
    state.stable === null
      ? `${state.newHealthy} of ${state.replicas} instance(s) of ${state.version} became healthy`
      : `${state.newAvailable} of ${state.replicas} instance(s) of ${state.version} available, ${state.oldReplicas} of ${state.stable.version} left`;
  const what = `No progress for progressDeadline (${deadline}): ${stuck}.`;
  if (!rollingSpec(input.spec).autoRevert) {
    const left =
      state.stable === null
        ? `pool ${state.newPool} is left as it is, without traffic`
        : `pools ${state.stable.pool} and ${state.newPool} are left as they are, traffic split by their healthy instances`;
    return to(input, state, 'done', [], {
      status: 'failed',
      reason: Reason.ProgressDeadlineExceeded,
      message: `${what} autoRevert is off, so ${left}; run \`switchyard rollback\` to go back or deploy a fix.`,
    });
  }
  if (state.stable === null) {
    return removeNew(input, state, {
      status: 'failed',
      reason: Reason.ProgressDeadlineExceeded,
      message: `${what} Nothing was live to go back to; pool ${state.newPool} is removed. See \`switchyard logs\`.`,
    });
  }
  return revert(
    input,
    state,
    {
      status: 'rolledBack',
      reason: Reason.ProgressDeadlineExceeded,
      message: `${what} Rolled back: ${state.stable.version} is back at ${state.stable.replicas} instance(s) in pool ${state.stable.pool} and ${state.version} is removed.`,
    },
    {
      reason: Reason.ProgressDeadlineExceeded,
      message: `${what} Reverting: pool ${state.stable.pool} goes back to ${state.stable.replicas} instance(s) of ${state.stable.version}, then pool ${state.newPool} is removed.`,
    },
  );
}

/**
 * Back to the old revision: its pool returns to full size at once (even past
 * maxSurge), traffic stays split by healthy instances meanwhile, and the new
 * pool goes once the old one is whole again, so capacity never drops for it.
 */
function revert(input: Input, state: RollingState, outcome: Outcome, mark: Mark): Step {
  const stable = state.stable as Stable;
  const reverting: RollingState = {
    ...state,
    outcome,
    oldReplicas: stable.replicas,
    deadlineAt: input.now + progressDeadlineMs(input),
    pausedAt: null,
  };
  const seen = observe(input, reverting);
  const next = { ...reverting, oldHealthy: seen.oldHealthy };
  const actions: Action[] = [];
  if (state.oldReplicas !== stable.replicas) {
    actions.push(startPoolAction(stable.pool, stable, stable.replicas));
  }
  if (seen.oldHealthy >= stable.replicas) return removeNew(input, next, mark, actions);
  actions.push({ type: 'setRouting', weights: weightsOf(input, next, seen), previewPool: null });
  return to(input, next, 'reverting', actions, mark);
}

function reconcileRevert(input: Input, state: RollingState): Step {
  const stable = state.stable as Stable;
  const seen = observe(input, state);
  if (seen.oldHealthy >= stable.replicas) {
    return removeNew(input, state, {
      reason: Reason.RemovingNewPool,
      message: `Pool ${stable.pool} is back to ${stable.replicas} healthy instance(s) of ${stable.version} and takes all traffic; removing pool ${state.newPool} (${state.version}).`,
    });
  }
  let next = state;
  if (seen.oldHealthy !== state.oldHealthy) {
    const deadlineAt =
      seen.oldHealthy > state.oldHealthy ? progressFrom(input, state) : state.deadlineAt;
    next = { ...state, oldHealthy: seen.oldHealthy, deadlineAt };
  }
  if (input.now >= next.deadlineAt) {
    return to(input, next, 'done', [], {
      status: 'failed',
      reason: Reason.ProgressDeadlineExceeded,
      message: `The revert stalled: only ${seen.oldHealthy} of ${stable.replicas} instance(s) of ${stable.version} became healthy within progressDeadline (${rollingSpec(input.spec).progressDeadline}); pools ${stable.pool} and ${state.newPool} are left as they are. See \`switchyard logs\`.`,
    });
  }
  const weights = weightsOf(input, next, seen);
  if (routes(input.topology, weights, null)) return stay(input, next);
  return to(input, next, 'reverting', [{ type: 'setRouting', weights, previewPool: null }], {
    reason: Reason.RollingWeights,
    message: `Reverting: ${seen.oldHealthy} of ${stable.replicas} instance(s) of ${stable.version} healthy; traffic by healthy instances: ${weights.map((w) => `${w.pool} ${w.weight}`).join(', ')}.`,
  });
}

/** All traffic on the old pool (if any), the new pool out; the rollout ends once its instances are gone. */
function removeNew(
  input: Input,
  state: RollingState,
  mark: Mark,
  before: readonly Action[] = [],
): Step {
  const stable = state.stable;
  const outcome = state.outcome ?? { ...mark, status: mark.status ?? 'failed' };
  const actions: Action[] = [...before];
  if (stable !== null) {
    actions.push({ type: 'setRouting', weights: stableWeights(stable), previewPool: null });
  }
  actions.push({ type: 'removePool', pool: state.newPool });
  if (state.newServedTraffic && input.spec.hooks.postRollback !== undefined) {
    actions.push({ type: 'runHook', hook: 'postRollback' });
  }
  const next = { ...state, outcome };
  if (observe(input, next).newLeft === 0) return to(input, next, 'done', actions, outcome);
  // Not final yet: the status stays `progressing` until the pool is gone.
  return to(input, next, 'removingNew', actions, {
    reason: mark.reason,
    message: mark.message,
  });
}

/** abort / rollback: a first deploy just removes its pool; a rolling update reverts. */
function halt(input: Input, state: RollingState, command: Command): Step {
  const by = `${command.name} requested by ${command.requestedBy}`;
  if (!STEERABLE.includes(state.phase)) {
    const why =
      state.phase === 'scalingDown'
        ? `${state.version} already takes all traffic and the old pool is stopping`
        : null;
    return record(input, state, haltIgnored(command, why));
  }
  if (state.phase === 'preDeploy') {
    return to(input, state, 'done', [], {
      status: 'aborted',
      reason: Reason.RolloutAborted,
      message: `${by} during the preDeploy hook; nothing was started.`,
    });
  }
  const stable = state.stable;
  if (stable === null) {
    return removeNew(
      input,
      { ...state, outcome: null },
      {
        status: 'aborted',
        reason: Reason.RolloutAborted,
        message: `${by}: nothing was live before; pool ${state.newPool} (${state.version}) is removed.`,
      },
    );
  }
  const rollback = command.name === 'rollback';
  return revert(
    input,
    state,
    {
      status: rollback ? 'rolledBack' : 'aborted',
      reason: rollback ? Reason.RolledBack : Reason.RolloutAborted,
      message: `${by}: ${stable.version} is back at ${stable.replicas} instance(s) in pool ${stable.pool}; pool ${state.newPool} (${state.version}) is removed.`,
    },
    {
      reason: rollback ? Reason.RollbackRequested : Reason.AbortRequested,
      message: `${by}: pool ${stable.pool} goes back to ${stable.replicas} instance(s) of ${stable.version}, then pool ${state.newPool} (${state.version}) is removed.`,
    },
  );
}

/** A gating hook: a failed preDeploy ends the rollout; a failed postDeploy removes the new pool. */
function gate(input: Input, state: RollingState, hook: HookName, next: () => Step): Step {
  return gateOnHook(input, state, hook, {
    passed: next,
    failed: (result) => hookFailed(input, state, hook, result),
  });
}

function hookFailed(input: Input, state: RollingState, hook: HookName, result: HookResult): Step {
  const message = `The ${hook} hook failed (${result.detail})`;
  if (hook === 'preDeploy') {
    return to(input, state, 'done', [], {
      status: 'failed',
      reason: Reason.HookFailed,
      message: `${message}; nothing was started.`,
    });
  }
  const outcome: Outcome = {
    status: 'failed',
    reason: Reason.HookFailed,
    message: `${message}; ${state.version} never took traffic and is removed.`,
  };
  if (state.stable === null) return removeNew(input, state, outcome);
  return revert(input, state, outcome, {
    reason: Reason.HookFailed,
    message: `${message}; ${state.version} never took traffic. Pool ${state.stable.pool} goes back to ${state.stable.replicas} instance(s), then pool ${state.newPool} is removed.`,
  });
}

/**
 * Folds pause and resume into the state and notes every command for one
 * event, up to the first abort or rollback, which is returned to act on.
 * `promote` (and `promote --full`) is ignored: a rolling update has no gate
 * to promote past.
 */
function takeRollingCommands(
  state: RollingState,
  commands: readonly Command[],
  now: number,
): { state: RollingState; notes: Mark[]; halt: Command | undefined } {
  const notes: Mark[] = [];
  let halted = false;
  const taken = takeCommands(state, commands, (next, command) => {
    // Nothing after the first abort or rollback is folded in: the halt decides.
    halted ||= command.name === 'abort' || command.name === 'rollback';
    if (halted) return next;
    const { mark, state: folded } = foldCommand(next, command, now);
    notes.push(mark);
    return folded;
  });
  return { state: taken.state, notes, halt: taken.halt };
}

function foldCommand(
  state: RollingState,
  command: Command,
  now: number,
): { state: RollingState; mark: Mark } {
  const by = `${command.name} requested by ${command.requestedBy}`;
  if (command.name !== 'pause' && command.name !== 'resume') {
    // promote (and promote --full): there is no gate to promote past.
    const resume = state.pausedAt === null ? '' : ' (run `switchyard resume` to continue)';
    const message = `${by} ignored: a rolling update has nothing to promote; it replaces instances on its own as they become available${resume}.`;
    return { state, mark: { reason: Reason.CommandIgnored, message } };
  }
  if (!STEERABLE.includes(state.phase)) {
    const message = `${by} ignored: the rollout is already ending.`;
    return { state, mark: { reason: Reason.CommandIgnored, message } };
  }
  if (command.name === 'pause') {
    const message = `${by}: no instance starts or stops and progressDeadline stops counting until \`switchyard resume\`.`;
    const paused = state.pausedAt === null ? { ...state, pausedAt: now } : state;
    return { state: paused, mark: { reason: Reason.Paused, message } };
  }
  const resumed =
    state.pausedAt === null
      ? state
      : { ...state, pausedAt: null, deadlineAt: state.deadlineAt + (now - state.pausedAt) };
  return { state: resumed, mark: { reason: Reason.Resumed, message: `${by}.` } };
}

/**
 * Healthy routed instances per pool: the router's weights. An instance
 * joins its pool's weight once healthy; the old pool's weight drops in the
 * step its size drops; the new pool stays at 0 until postDeploy passed.
 */
function weightsOf(input: Input, state: RollingState, seen: Seen): PoolWeight[] {
  const stable = state.stable as Stable;
  const held = awaitsPostDeploy(input, state);
  return [
    { pool: stable.pool, weight: Math.min(seen.oldHealthy, state.oldReplicas) },
    { pool: state.newPool, weight: held ? 0 : Math.min(seen.newHealthy, state.newReplicas) },
  ];
}

/** Notes when a setRouting gives the new pool traffic (postRollback runs only after that). */
function served(state: RollingState, actions: readonly Action[]): RollingState {
  if (state.newServedTraffic) return state;
  const gives = actions.some(
    (action) =>
      action.type === 'setRouting' &&
      action.weights.some((weight) => weight.pool === state.newPool && weight.weight > 0),
  );
  return gives ? { ...state, newServedTraffic: true } : state;
}

/** True when the topology already routes exactly these weights and preview. */
function routes(
  topology: Topology,
  weights: readonly PoolWeight[],
  preview: string | null,
): boolean {
  if (topology.previewPool !== preview || topology.weights.length !== weights.length) return false;
  return weights.every((weight) =>
    topology.weights.some((have) => have.pool === weight.pool && have.weight === weight.weight),
  );
}

function observe(input: Input, state: RollingState): Seen {
  const { instances } = input.observations;
  const stable = state.stable;
  let oldHealthy = 0;
  let newHealthy = 0;
  let oldLeft = 0;
  let newLeft = 0;
  let oldWanted = 0;
  let newWanted = 0;
  for (const instance of instances) {
    const healthy = instance.desired && instance.healthy ? 1 : 0;
    const wanted = instance.desired ? 1 : 0;
    if (stable !== null && instance.pool === stable.pool && instance.revision === stable.revision) {
      oldLeft += 1;
      oldHealthy += healthy;
      oldWanted += wanted;
    } else if (instance.pool === state.newPool && instance.revision === input.target.revision) {
      newLeft += 1;
      newHealthy += healthy;
      newWanted += wanted;
    }
  }
  // Instances asked for but not recorded yet take room as well.
  const planned =
    Math.max(0, state.oldReplicas - oldWanted) + Math.max(0, state.newReplicas - newWanted);
  return { oldHealthy, newHealthy, total: instances.length + planned, oldLeft, newLeft };
}

function waitOf(input: Input, state: RollingState): Action & { type: 'wait' } {
  const paused = state.pausedAt !== null;
  switch (state.phase) {
    case 'preDeploy':
    case 'postDeploy':
      return paused
        ? { type: 'wait', until: null, for: 'resume' }
        : { type: 'wait', until: null, for: `the ${state.phase} hook` };
    case 'firstDeploy':
      return paused
        ? { type: 'wait', until: null, for: 'resume' }
        : { type: 'wait', until: state.deadlineAt, for: 'health checks' };
    case 'rolling': {
      if (paused) return { type: 'wait', until: null, for: 'resume' };
      if (state.newAvailable < state.newHealthy && state.availableAt < state.deadlineAt) {
        return { type: 'wait', until: state.availableAt, for: 'minHealthyTime' };
      }
      return { type: 'wait', until: state.deadlineAt, for: 'instances to become available' };
    }
    case 'reverting':
      return { type: 'wait', until: state.deadlineAt, for: 'the old pool to be whole again' };
    default:
      return defaultWait(state.phase);
  }
}

/** One line for `switchyard status`: the phase, the counts, and what it waits for. */
export function describeRolling(state: RollingState, now: number): string {
  const paused = state.pausedAt === null ? '' : ' (paused)';
  const old = state.stable;
  switch (state.phase) {
    case 'preDeploy':
    case 'postDeploy':
      // A pause holds a rolling update's hooks too.
      return `running the ${state.phase} hook${paused}`;
    case 'firstDeploy':
      return `first deploy: ${state.newHealthy} of ${state.replicas} instance(s) healthy in pool ${state.newPool}${paused}`;
    case 'rolling': {
      const settling = state.newHealthy - state.newAvailable;
      const wait =
        settling > 0
          ? `, ${settling} more in minHealthyTime (${secondsLeft(state.availableAt, now)})`
          : '';
      return `rolling pool ${old?.pool ?? ''} → pool ${state.newPool}: ${state.newAvailable} of ${state.replicas} new instance(s) available${wait}, ${state.oldReplicas} old left${paused}`;
    }
    case 'reverting':
      return `reverting: pool ${old?.pool ?? ''} at ${state.oldHealthy} of ${old?.replicas ?? 0} healthy, then pool ${state.newPool} goes`;
    default:
      return describeSharedPhase(state, paused);
  }
}

/** `paused` while paused; the outcome once done; `progressing` otherwise. */
export function rollingStatusOf(state: RollingState): RolloutStatus {
  if (state.phase === 'done') return finalStatus(state);
  if (state.pausedAt !== null && STEERABLE.includes(state.phase)) return 'paused';
  return 'progressing';
}

/** The deadline after progress now; progress while paused is timed from the pause. */
function progressFrom(input: Input, state: RollingState): number {
  return (state.pausedAt ?? input.now) + progressDeadlineMs(input);
}

function progressDeadlineMs(input: Input): number {
  return durationMs(rollingSpec(input.spec).progressDeadline);
}

function minHealthyMs(input: Input): number {
  return durationMs(rollingSpec(input.spec).minHealthyTime);
}

/** The spec's rolling settings; the defaults when it names another strategy (a first deploy). */
function rollingSpec(spec: ResolvedSpec) {
  const strategy = effectiveStrategy(spec.strategy);
  return strategy.kind === 'rolling' ? strategy.rolling : DEFAULT_ROLLING;
}

function countOf(value: number | string, replicas: number, round: (n: number) => number) {
  if (typeof value === 'number') return value;
  return round((Number.parseInt(value, 10) * replicas) / 100);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function lowercase(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
