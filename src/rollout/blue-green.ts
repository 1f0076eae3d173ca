/**
 * Blue/green as a pure function (DESIGN.md, rollout/; STYLE.md §4): the new
 * pool starts beside the live one at weight 0, passes its health checks,
 * shows on the preview listener, waits for `promote` (or `autoPromote`),
 * takes all traffic in one router update, and the old pool stays up for
 * `scaleDownDelay` so a rollback is one more router update. A first deploy
 * (nothing live) starts, waits for health and takes 100%.
 *
 * Each call reads the persisted state, the observations and `now`, and
 * returns the next state with the actions of the transition. Deadlines are
 * absolute times in the state, so a controller restarted mid-step resumes
 * exactly where the last one stopped.
 */
import { durationMs, effectiveStrategy } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { RolloutStatus } from '../state/store.ts';
import type { Action, HookName } from './actions.ts';
import { newPoolSteps } from './new-pool-steps.ts';
import { finalStatus } from './outcome.ts';
import type { Outcome } from './outcome.ts';
import { describeSharedPhase, secondsLeft } from './phase-description.ts';
import { defaultWait, phaseSteps } from './phase-steps.ts';
import type { PhasedState } from './phase-steps.ts';
import {
  allTrafficTo,
  besideStable,
  stableWeights,
  startAnalysisAction,
  startPoolAction,
} from './pool-actions.ts';
import { Reason } from './reasons.ts';
import type { Command, StrategyInput, StrategyStep } from './strategy.ts';
import { countInstances, haltIgnored, newPoolName, takeCommands } from './strategy-kit.ts';
import { livePool } from './topology.ts';

export const BLUE_GREEN_PHASES = [
  'pending',
  'preDeploy',
  'waitingHealthy',
  'postDeploy',
  'awaitingPromote',
  'prePromote',
  'scalingUp',
  'scaleDownDelay',
  'scalingDown',
  'removingNew',
  'done',
] as const;
export type BlueGreenPhase = (typeof BLUE_GREEN_PHASES)[number];

/** The run names of blue/green's analyses (DESIGN.md's prePromotionAnalysis and postPromotionAnalysis). */
export const PRE_PROMOTION_RUN = 'prePromotion';
export const POST_PROMOTION_RUN = 'postPromotion';

export interface BlueGreenState extends PhasedState {
  readonly kind: 'blueGreen';
  readonly phase: BlueGreenPhase;
  /** Epoch ms at which the phase began (startupTimeout and scaleDownDelay count from here). */
  readonly phaseSince: number;
  readonly replicas: number;
  readonly previewReplicas: number;
  /** When autoPromote fires; null = wait for `promote`. */
  readonly promoteAt: number | null;
  readonly paused: boolean;
  readonly promoteRequested: boolean;
  /** A pre- or post-promotion analysis ended inconclusive: waiting for `promote` to accept it. */
  readonly analysisInconclusive?: boolean;
}

type Input = StrategyInput<BlueGreenState>;
type Step = StrategyStep<BlueGreenState>;

const shared = phaseSteps<BlueGreenState>({
  stepNumber: (state) => blueGreenStepNumber(state.phase),
  statusOf,
  waitOf,
});
const { to, record, stay, begin, gateOnHook, awaitStableGone, awaitNewGone, noteCommands } = shared;
const { startNewPool, startPostDeploy, goLiveFirst } = newPoolSteps(shared);

export function blueGreen(input: Input): Step {
  if (input.state === undefined) return firstStep(input);
  const taken = takeCommands(input.state, input.observations.commands, foldCommand);
  if (taken.halt !== undefined) return abort(input, taken.state, taken.halt);
  // Only pause, resume or promote changed the state: the step records them.
  return noteCommands(input, taken, advance(input, taken.state) ?? stay(input, taken.state));
}

/** The step number the store keeps for a phase. */
export function blueGreenStepNumber(phase: BlueGreenPhase): number {
  return BLUE_GREEN_PHASES.indexOf(phase);
}

function advance(input: Input, state: BlueGreenState): Step | undefined {
  switch (state.phase) {
    case 'pending':
      return undefined;
    case 'preDeploy':
      return gate(input, state, 'preDeploy', () =>
        startNewPool(input, state, state.previewReplicas),
      );
    case 'waitingHealthy':
      return awaitHealthy(input, state, state.previewReplicas, () => afterHealthy(input, state));
    case 'postDeploy':
      return gate(input, state, 'postDeploy', () => afterPostDeploy(input, state));
    case 'awaitingPromote':
      return awaitPromote(input, state);
    case 'prePromote':
      return gate(input, state, 'prePromote', () => scaleUpOrSwitch(input, state));
    case 'scalingUp':
      return awaitHealthy(input, state, state.replicas, () => switchTraffic(input, state));
    case 'scaleDownDelay':
      return awaitScaleDown(input, state);
    case 'scalingDown': {
      const message = `${input.target.version} takes all traffic; the old pool is stopped.`;
      return awaitStableGone(input, state, message);
    }
    case 'removingNew':
      return awaitNewGone(input, state);
    case 'done':
      return undefined;
  }
}

function firstStep(input: Input): Step {
  const { spec, topology, now } = input;
  const live = livePool(topology);
  const bg = blueGreenSpec(spec);
  const newPool = newPoolName(live?.name);
  const state: BlueGreenState = {
    kind: 'blueGreen',
    phase: 'pending',
    phaseSince: now,
    newPool,
    stable: live ? { pool: live.name, revision: live.revision, version: live.version } : null,
    replicas: spec.replicas,
    previewReplicas: live && bg?.previewReplicas !== undefined ? bg.previewReplicas : spec.replicas,
    promoteAt: null,
    paused: false,
    promoteRequested: false,
    lastCommandId: 0,
    outcome: null,
  };
  return begin(input, state, () => startNewPool(input, state, state.previewReplicas));
}

function afterHealthy(input: Input, state: BlueGreenState): Step {
  return startPostDeploy(input, state) ?? afterPostDeploy(input, state);
}

/** Every instance of the new pool healthy → next; startupTimeout → fail with the new pool removed. */
function awaitHealthy(
  input: Input,
  state: BlueGreenState,
  needed: number,
  next: () => Step,
): Step | undefined {
  const healthy = countInstances(input.observations, state.newPool, input.target.revision, true);
  if (healthy >= needed) return next();
  const timeoutMs = durationMs(input.spec.healthCheck.startupTimeout);
  if (input.now >= state.phaseSince + timeoutMs) {
    return fail(input, state, {
      status: 'failed',
      reason: Reason.StartupTimeout,
      message: `Only ${healthy} of ${needed} instance(s) of ${input.target.version} passed their health checks within startupTimeout (${input.spec.healthCheck.startupTimeout}); traffic stays where it was. See \`switchyard logs\`.`,
    });
  }
  return undefined;
}

function afterPostDeploy(input: Input, state: BlueGreenState): Step {
  const { target, now } = input;
  if (state.stable === null) return goLiveFirst(input, state);
  const autoPromote = blueGreenSpec(input.spec)?.autoPromote;
  const promoteAt = autoPromote === undefined ? null : now + durationMs(autoPromote);
  const next = { ...state, promoteAt };
  const pre = blueGreenSpec(input.spec)?.prePromotionAnalysis;
  if (state.promoteRequested && pre === undefined) return beginPromote(input, next);
  const actions: Action[] = [besideStable(state, state.newPool)];
  if (pre !== undefined) {
    actions.push(analysisOf(state, PRE_PROMOTION_RUN, pre.templates));
  }
  return to(input, next, 'awaitingPromote', actions, {
    reason: Reason.AwaitingPromote,
    message:
      promoteAt === null
        ? `${target.version} is healthy on the preview listener; run \`switchyard promote\` to switch traffic or \`switchyard abort\` to remove it.`
        : `${target.version} is healthy on the preview listener; promoting automatically in ${autoPromote}.`,
  });
}

/**
 * `promote` switches at once (a person's word beats a running analysis,
 * which is stopped); autoPromote waits for the pre-promotion analysis to
 * pass. A failed one removes the new pool; an inconclusive one waits for
 * `promote`.
 */
function awaitPromote(input: Input, state: BlueGreenState): Step | undefined {
  const pre = blueGreenSpec(input.spec)?.prePromotionAnalysis;
  const result = pre === undefined ? undefined : input.observations.analysis[PRE_PROMOTION_RUN];
  if (result?.verdict === 'failed') {
    return fail(input, state, {
      status: 'failed',
      reason: Reason.AnalysisFailed,
      message: `Pre-promotion analysis failed: ${result.message} Nothing was switched.`,
    });
  }
  const stop: Action[] =
    pre !== undefined && result?.verdict !== 'successful'
      ? [{ type: 'stopAnalysis', run: PRE_PROMOTION_RUN }]
      : [];
  if (state.promoteRequested) {
    const step = beginPromote(input, state);
    return { ...step, actions: [...stop, ...step.actions] };
  }
  if (pre !== undefined && result?.verdict !== 'successful') {
    if (result?.verdict !== 'inconclusive' || state.analysisInconclusive) return undefined;
    return inconclusive(input, state, result.message, 'switch traffic');
  }
  if (state.promoteAt !== null && !state.paused && input.now >= state.promoteAt) {
    return beginPromote(input, state);
  }
  return undefined;
}

/** An analysis without enough traffic to judge: paused until `promote` accepts it or `abort`. */
function inconclusive(input: Input, state: BlueGreenState, why: string, what: string): Step {
  return to(input, { ...state, analysisInconclusive: true }, state.phase, [], {
    status: 'paused',
    reason: Reason.AnalysisInconclusive,
    message: `Analysis was inconclusive: ${why} Run \`switchyard promote\` to accept ${input.target.version} and ${what}, or \`switchyard abort\`.`,
  });
}

function beginPromote(input: Input, state: BlueGreenState): Step {
  if (input.spec.hooks.prePromote !== undefined) {
    return to(input, state, 'prePromote', [{ type: 'runHook', hook: 'prePromote' }], {
      reason: Reason.HookStarted,
      message: 'Running the prePromote hook before the switch.',
    });
  }
  return scaleUpOrSwitch(input, state);
}

function scaleUpOrSwitch(input: Input, state: BlueGreenState): Step {
  if (state.previewReplicas >= state.replicas) return switchTraffic(input, state);
  const scaleUp = startPoolAction(state.newPool, input.target, state.replicas);
  return to(input, state, 'scalingUp', [scaleUp], {
    reason: Reason.ScalingUp,
    message: `Scaling pool ${state.newPool} from ${state.previewReplicas} to ${state.replicas} instance(s) before the switch.`,
  });
}

/** The switch: one router update moves all traffic; the old pool stays at weight 0. */
function switchTraffic(input: Input, state: BlueGreenState): Step {
  const stable = state.stable as NonNullable<BlueGreenState['stable']>;
  const actions: Action[] = [
    {
      type: 'setRouting',
      weights: [
        { pool: state.newPool, weight: 100 },
        { pool: stable.pool, weight: 0 },
      ],
      previewPool: state.newPool,
    },
  ];
  if (input.spec.hooks.postPromote !== undefined)
    actions.push({ type: 'runHook', hook: 'postPromote' });
  const post = blueGreenSpec(input.spec)?.postPromotionAnalysis;
  if (post !== undefined) actions.push(analysisOf(state, POST_PROMOTION_RUN, post.templates));
  const next = { ...state, promoteRequested: false, analysisInconclusive: false };
  return to(input, next, 'scaleDownDelay', actions, {
    reason: Reason.TrafficSwitched,
    message: `All traffic moved to ${input.target.version} (pool ${state.newPool}) in one router update; ${stable.version} stays up for ${scaleDownDelay(input.spec)} for an instant rollback.`,
  });
}

/**
 * The old pool goes once scaleDownDelay has passed and the post-promotion
 * analysis (if any) passed; if that analysis fails, traffic goes back to the
 * old pool in one router update and the rollout ends rolled back.
 */
function awaitScaleDown(input: Input, state: BlueGreenState): Step | undefined {
  const post = blueGreenSpec(input.spec)?.postPromotionAnalysis;
  const result = post === undefined ? undefined : input.observations.analysis[POST_PROMOTION_RUN];
  if (result?.verdict === 'failed') {
    const back = (state.stable as NonNullable<BlueGreenState['stable']>).version;
    const actions = retreat(state);
    if (input.spec.hooks.postRollback !== undefined) {
      actions.push({ type: 'runHook', hook: 'postRollback' });
    }
    const outcome: Outcome = {
      status: 'rolledBack',
      reason: Reason.AnalysisFailed,
      message: `Post-promotion analysis failed: ${result.message} All traffic is back on ${back}; pool ${state.newPool} (${input.target.version}) is removed.`,
    };
    return to(input, { ...state, outcome }, 'removingNew', actions, outcome);
  }
  if (post !== undefined && result?.verdict !== 'successful' && !state.promoteRequested) {
    if (result?.verdict !== 'inconclusive' || state.analysisInconclusive) return undefined;
    return inconclusive(input, state, result.message, 'stop the old pool');
  }
  if (state.paused || input.now < scaleDownAt(input, state)) return undefined;
  const stable = state.stable as NonNullable<BlueGreenState['stable']>;
  const drain: Action[] = [allTrafficTo(state.newPool), { type: 'removePool', pool: stable.pool }];
  return to(input, state, 'scalingDown', drain, {
    reason: Reason.ScalingDown,
    message: `scaleDownDelay passed; draining and stopping pool ${stable.pool} (${stable.version}).`,
  });
}

/** A gating hook; one that fails removes the new pool before anything was switched. */
function gate(input: Input, state: BlueGreenState, hook: HookName, next: () => Step): Step {
  return gateOnHook(input, state, hook, {
    passed: next,
    failed: (result) =>
      fail(input, state, {
        status: 'failed',
        reason: Reason.HookFailed,
        message: `The ${hook} hook failed (${result.detail}); nothing was switched and ${input.target.version} is removed.`,
      }),
  });
}

/** Traffic back to where it was before the rollout, the new pool out. */
function fail(input: Input, state: BlueGreenState, outcome: Outcome): Step {
  return to(input, { ...state, outcome }, 'removingNew', retreat(state), {
    reason: outcome.reason,
    message: `${outcome.message} Removing pool ${state.newPool}.`,
  });
}

function abort(input: Input, state: BlueGreenState, command: Command): Step {
  const switched = state.phase === 'scaleDownDelay';
  if (state.phase === 'scalingDown' || state.phase === 'removingNew' || state.phase === 'done') {
    const why = state.phase === 'scalingDown' ? 'the old pool is already stopping' : null;
    return record(input, state, haltIgnored(command, why));
  }
  const rolledBack = command.name === 'rollback' && switched;
  const status: RolloutStatus = rolledBack ? 'rolledBack' : 'aborted';
  const back =
    state.stable === null ? 'nothing was live before' : `all traffic is on ${state.stable.version}`;
  const outcome: Outcome = {
    status,
    reason: rolledBack ? Reason.RolledBack : Reason.RolloutAborted,
    message: `${command.name} requested by ${command.requestedBy}: ${back}; pool ${state.newPool} (${input.target.version}) is removed.`,
  };
  const actions = retreat(state);
  if (switched && input.spec.hooks.postRollback !== undefined) {
    actions.push({ type: 'runHook', hook: 'postRollback' });
  }
  return to(input, { ...state, outcome }, 'removingNew', actions, {
    reason: rolledBack ? Reason.RollbackRequested : Reason.AbortRequested,
    message: outcome.message,
  });
}

function retreat(state: BlueGreenState): Action[] {
  return [
    { type: 'setRouting', weights: stableWeights(state.stable), previewPool: null },
    { type: 'removePool', pool: state.newPool },
    // Stopping a run that never started changes nothing.
    { type: 'stopAnalysis', run: PRE_PROMOTION_RUN },
    { type: 'stopAnalysis', run: POST_PROMOTION_RUN },
  ];
}

/** Folds pause, resume and promote into the state; abort and rollback are returned to act on. */
function foldCommand(state: BlueGreenState, command: Command): BlueGreenState {
  if (command.name === 'pause') return { ...state, paused: true };
  if (command.name === 'resume') return { ...state, paused: false };
  // Blue/green has no steps to skip: a full promote is a promote.
  if (command.name === 'promote' || command.name === 'promoteFull')
    return { ...state, promoteRequested: true };
  return state;
}

function waitOf(input: Input, state: BlueGreenState): Action & { type: 'wait' } {
  const startupMs = durationMs(input.spec.healthCheck.startupTimeout);
  switch (state.phase) {
    case 'waitingHealthy':
    case 'scalingUp':
      return { type: 'wait', until: state.phaseSince + startupMs, for: 'health checks' };
    case 'awaitingPromote':
      return state.promoteAt === null || state.paused
        ? { type: 'wait', until: null, for: 'promote' }
        : { type: 'wait', until: state.promoteAt, for: 'autoPromote' };
    case 'scaleDownDelay':
      return state.paused
        ? { type: 'wait', until: null, for: 'resume' }
        : { type: 'wait', until: scaleDownAt(input, state), for: 'scaleDownDelay' };
    default:
      return defaultWait(state.phase);
  }
}

/** One line for `status`: the phase and what it waits for. */
export function describeBlueGreen(state: BlueGreenState, now: number): string {
  const paused = state.paused ? ' (paused)' : '';
  switch (state.phase) {
    case 'scalingUp':
      return `scaling pool ${state.newPool} up to ${state.replicas}${paused}`;
    case 'awaitingPromote':
      return state.promoteAt === null
        ? `waiting for promote${paused}`
        : `waiting for promote (autoPromote in ${secondsLeft(state.promoteAt, now)})${paused}`;
    case 'scaleDownDelay':
      return `switched to pool ${state.newPool}; old pool kept for instant rollback${paused}`;
    default:
      return describeSharedPhase(state, paused);
  }
}

/** Paused while waiting on a person: for `promote`, or after `pause`. */
export function statusOf(state: BlueGreenState): RolloutStatus {
  if (state.phase === 'done') return finalStatus(state);
  if (state.paused) return 'paused';
  if (state.phase === 'awaitingPromote' && state.promoteAt === null) return 'paused';
  if (state.analysisInconclusive === true) return 'paused';
  return 'progressing';
}

function analysisOf(state: BlueGreenState, name: string, templates: readonly string[]): Action {
  return startAnalysisAction(state, { name, templates, background: false });
}

/** In scaleDownDelay: when the old pool goes (the phase began with the switch). */
function scaleDownAt(input: Input, state: BlueGreenState): number {
  return state.phaseSince + durationMs(scaleDownDelay(input.spec));
}

function scaleDownDelay(spec: ResolvedSpec): string {
  return blueGreenSpec(spec)?.scaleDownDelay ?? '0s';
}

function blueGreenSpec(spec: ResolvedSpec) {
  const strategy = effectiveStrategy(spec.strategy);
  return strategy.kind === 'blueGreen' ? strategy.blueGreen : undefined;
}
