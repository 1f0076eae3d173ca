/**
 * Canary as a pure function (DESIGN.md, rollout/): the new revision starts in
 * its own pool beside the stable one and takes traffic step by step —
 * `setWeight`, `pause` (a duration, or until `promote`) and `analysis`
 * (inline, blocking) — while an optional background analysis judges it the
 * whole time. When the steps are done the new pool is scaled to full size,
 * takes all traffic, and the stable pool is drained and stopped. A failed
 * analysis, `abort` or `rollback` puts 100% of traffic back on stable in one
 * router update, then drains and stops the canary pool.
 *
 * The canary pool runs ceil(replicas × weight / 100) instances (at least
 * one), as Argo Rollouts sizes a canary with traffic routing; it is scaled up
 * and healthy before its weight rises. A first deploy (nothing live) starts
 * every replica and takes 100% at once: there is nothing to compare with.
 *
 * As in blue-green.ts, each call reads the persisted state, the observations
 * and `now`, and returns the next state with the actions of the transition;
 * deadlines are absolute times in the state, so a restarted controller
 * resumes exactly where the last one stopped.
 */
import { durationMs, effectiveStrategy, pauseMs } from '../spec/index.ts';
import type { CanarySpec, CanaryStepSpec, ResolvedSpec } from '../spec/index.ts';
import type { PoolWeight, RolloutStatus } from '../state/store.ts';
import type { Action, HookName } from './actions.ts';
import { newPoolSteps } from './new-pool-steps.ts';
import { finalStatus } from './outcome.ts';
import type { Outcome } from './outcome.ts';
import { describeSharedPhase, secondsLeft } from './phase-description.ts';
import { defaultWait, phaseSteps } from './phase-steps.ts';
import type { PhasedState } from './phase-steps.ts';
import {
  allTrafficTo,
  stableWeights,
  startAnalysisAction,
  startPoolAction,
} from './pool-actions.ts';
import { Reason } from './reasons.ts';
import type { AnalysisObservation, Command, StrategyInput, StrategyStep } from './strategy.ts';
import { countInstances, haltIgnored, newPoolName, takeCommands } from './strategy-kit.ts';
import { livePool } from './topology.ts';

export const CANARY_PHASES = [
  'pending',
  'preDeploy',
  'waitingHealthy',
  'postDeploy',
  'steps',
  'prePromote',
  'promoting',
  'scalingDown',
  'removingNew',
  'done',
] as const;
export type CanaryPhase = (typeof CANARY_PHASES)[number];

/** The run name of the background analysis; inline ones are `step-<index>`. */
export const BACKGROUND_RUN = 'background';

export interface CanaryState extends PhasedState {
  readonly kind: 'canary';
  readonly phase: CanaryPhase;
  readonly replicas: number;
  /** The step being run (0-based); equal to the number of steps once they are done. */
  readonly stepIndex: number;
  /** Epoch ms at which the current step began (pause durations and scale-up timeouts count from here). */
  readonly stepSince: number;
  /** The canary's share of traffic now, in percent. */
  readonly weight: number;
  /** Instances the canary pool was asked to run. */
  readonly canaryReplicas: number;
  readonly backgroundStarted: boolean;
  readonly paused: boolean;
  /** The background analysis ended inconclusive (the rollout was paused once for it). */
  readonly backgroundInconclusive?: boolean;
  /** The current analysis step ended inconclusive: paused until `promote` accepts it or `abort`. */
  readonly inconclusive: boolean;
  /** A `promote` not yet used: it ends the current pause or analysis step. */
  readonly promoteRequested: boolean;
}

type Input = StrategyInput<CanaryState>;
type Step = StrategyStep<CanaryState>;

const shared = phaseSteps<CanaryState>({
  stepNumber: canaryStepNumber,
  statusOf: canaryStatusOf,
  waitOf,
});
const { to, record, stay, begin, gateOnHook, awaitStableGone, awaitNewGone, noteCommands } = shared;
const { startNewPool, startPostDeploy, goLiveFirst } = newPoolSteps(shared);

export function canary(input: Input): Step {
  if (input.state === undefined) return firstStep(input);
  const taken = takeCommands(input.state, input.observations.commands, foldCommand);
  const { state, commands } = taken;
  if (taken.halt !== undefined) return abortByCommand(input, state, taken.halt);
  const full = commands.some((command) => command.name === 'promoteFull');
  if (full && state.phase === 'steps') return finishSteps(input, state, 'promote --full');

  const background = backgroundFailure(input, state);
  if (background !== undefined) return background;

  // Only pause, resume or promote changed the state: the step records them.
  const step = advance(input, state) ?? stay(input, state);
  return noteCommands(input, taken, step, (command) =>
    command.name === 'promoteFull' ? 'promote --full' : command.name,
  );
}

/** The step number the store keeps: the phase, and within `steps` the step index. */
export function canaryStepNumber(state: Pick<CanaryState, 'phase' | 'stepIndex'>): number {
  const phase = CANARY_PHASES.indexOf(state.phase);
  return state.phase === 'steps' ? phase * 1000 + state.stepIndex : phase * 1000;
}

function advance(input: Input, state: CanaryState): Step | undefined {
  switch (state.phase) {
    case 'pending':
    case 'done':
      return undefined;
    case 'preDeploy':
      return gate(input, state, 'preDeploy', () =>
        startNewPool(input, state, state.canaryReplicas),
      );
    case 'waitingHealthy':
      return awaitHealthy(input, state, state.canaryReplicas, () => afterHealthy(input, state));
    case 'postDeploy':
      return gate(input, state, 'postDeploy', () => afterPostDeploy(input, state));
    case 'steps':
      return runStep(input, state);
    case 'prePromote':
      return gate(input, state, 'prePromote', () => scaleToFull(input, state));
    case 'promoting':
      if (state.paused) return undefined;
      return awaitHealthy(input, state, state.replicas, () => takeAllTraffic(input, state));
    case 'scalingDown': {
      const message = `${input.target.version} takes all traffic; the old pool is stopped.`;
      return awaitStableGone(input, state, message);
    }
    case 'removingNew':
      return awaitNewGone(input, state);
  }
}

function firstStep(input: Input): Step {
  const { spec, topology, now } = input;
  const live = livePool(topology);
  const steps = canarySpec(spec).steps;
  const state: CanaryState = {
    kind: 'canary',
    phase: 'pending',
    phaseSince: now,
    newPool: newPoolName(live?.name),
    stable: live ? { pool: live.name, revision: live.revision, version: live.version } : null,
    replicas: spec.replicas,
    stepIndex: 0,
    stepSince: now,
    weight: 0,
    // A first deploy starts everything; a canary starts with what its first weight needs.
    canaryReplicas: live ? replicasFor(spec.replicas, firstWeight(steps)) : spec.replicas,
    backgroundStarted: false,
    inconclusive: false,
    paused: false,
    promoteRequested: false,
    lastCommandId: 0,
    outcome: null,
  };
  return begin(input, state, () => startNewPool(input, state, state.canaryReplicas));
}

function afterHealthy(input: Input, state: CanaryState): Step {
  return startPostDeploy(input, state) ?? afterPostDeploy(input, state);
}

function afterPostDeploy(input: Input, state: CanaryState): Step {
  if (state.stable === null) return goLiveFirst(input, state);
  return enterStep(input, state, 0);
}

/**
 * Begins step `index` (or the promotion once past the last): its entry
 * actions and one event. The background analysis starts with the first step.
 */
function enterStep(input: Input, state: CanaryState, index: number): Step {
  const spec = canarySpec(input.spec);
  const base: CanaryState = {
    ...state,
    stepIndex: index,
    stepSince: input.now,
    inconclusive: false,
  };
  const actions: Action[] = [];
  let next = base;
  if (!state.backgroundStarted && spec.analysis !== undefined && state.stable !== null) {
    const { templates } = spec.analysis;
    actions.push(startAnalysisAction(state, { name: BACKGROUND_RUN, templates, background: true }));
    next = { ...next, backgroundStarted: true };
  }
  if (index >= spec.steps.length) {
    const finished = finishSteps(input, next, null);
    return { ...finished, actions: [...actions, ...finished.actions] };
  }
  const step = spec.steps[index] as CanaryStepSpec;
  const label = `Step ${index + 1}/${spec.steps.length}: ${describeStep(step)}`;
  if ('setWeight' in step) {
    const needed = replicasFor(state.replicas, step.setWeight);
    if (needed > state.canaryReplicas) {
      actions.push(startPoolAction(state.newPool, input.target, needed));
      next = { ...next, canaryReplicas: needed };
      return to(input, next, 'steps', actions, {
        reason: Reason.CanaryStep,
        message: `${label}; scaling pool ${state.newPool} to ${needed} instance(s) first.`,
      });
    }
    actions.push(routing(state, step.setWeight, state.newPool));
    return to(input, { ...next, weight: step.setWeight }, 'steps', actions, {
      reason: Reason.WeightSet,
      message: `${label}: ${input.target.version} takes ${step.setWeight}% of traffic, ${state.stable?.version ?? 'stable'} ${100 - step.setWeight}%.`,
    });
  }
  if ('pause' in step) {
    const ms = pauseMs(step.pause);
    return to(input, next, 'steps', actions, {
      reason: Reason.PauseStarted,
      message:
        ms === null
          ? `${label}; run \`switchyard promote\` to go on or \`switchyard abort\` to return to ${state.stable?.version ?? 'stable'}.`
          : `${label}.`,
    });
  }
  const { templates } = step.analysis;
  actions.push(
    startAnalysisAction(state, { name: inlineRun(index), templates, background: false }),
  );
  return to(input, next, 'steps', actions, {
    reason: Reason.AnalysisStarted,
    message: `${label} (templates ${step.analysis.templates.join(', ')}) on pool ${state.newPool} against ${state.stable?.pool ?? 'nothing'}.`,
  });
}

/** Whether the current step is complete; if so, the next one begins. */
function runStep(input: Input, state: CanaryState): Step | undefined {
  const spec = canarySpec(input.spec);
  const step = spec.steps[state.stepIndex];
  // A promote is used up by the pause or analysis step it ends.
  const used: CanaryState = { ...state, promoteRequested: false };
  if (state.paused) {
    // Paused: no step begins and no weight changes, but a failed analysis still aborts.
    const result =
      step !== undefined && 'analysis' in step
        ? input.observations.analysis[inlineRun(state.stepIndex)]
        : undefined;
    return result?.verdict === 'failed' ? abortByAnalysis(input, state, result) : undefined;
  }
  if (step === undefined) return enterStep(input, state, state.stepIndex);
  if ('setWeight' in step) {
    if (state.weight === step.setWeight) return enterStep(input, state, state.stepIndex + 1);
    const needed = replicasFor(state.replicas, step.setWeight);
    const healthy = countInstances(input.observations, state.newPool, input.target.revision, true);
    if (healthy >= needed) {
      return to(
        input,
        { ...state, weight: step.setWeight },
        'steps',
        [routing(state, step.setWeight, state.newPool)],
        {
          reason: Reason.WeightSet,
          message: `Step ${state.stepIndex + 1}/${spec.steps.length}: ${input.target.version} takes ${step.setWeight}% of traffic, ${state.stable?.version ?? 'stable'} ${100 - step.setWeight}%.`,
        },
      );
    }
    return timedOut(input, state, state.stepSince, healthy, needed);
  }
  if ('pause' in step) {
    if (state.promoteRequested) return enterStep(input, used, state.stepIndex + 1);
    const ms = pauseMs(step.pause);
    if (ms !== null && !state.paused && input.now >= state.stepSince + ms) {
      return enterStep(input, state, state.stepIndex + 1);
    }
    return undefined;
  }
  const run = inlineRun(state.stepIndex);
  if (state.promoteRequested) {
    const next = enterStep(input, used, state.stepIndex + 1);
    return { ...next, actions: [{ type: 'stopAnalysis', run }, ...next.actions] };
  }
  const result = input.observations.analysis[run];
  if (result === undefined || result.verdict === 'running') return undefined;
  if (result.verdict === 'successful') {
    return enterStep(input, state, state.stepIndex + 1);
  }
  if (result.verdict === 'failed') return abortByAnalysis(input, state, result);
  if (state.inconclusive) return undefined;
  return to(input, { ...state, inconclusive: true }, 'steps', [], {
    reason: Reason.AnalysisInconclusive,
    message: `Analysis was inconclusive: ${result.message} Run \`switchyard promote\` to accept ${input.target.version} and go on, or \`switchyard abort\` to return to ${state.stable?.version ?? 'stable'}.`,
  });
}

/** The steps are done (or skipped by `promote --full`): prePromote, scale to full size, take all traffic. */
function finishSteps(input: Input, state: CanaryState, by: string | null): Step {
  const spec = canarySpec(input.spec);
  const run = inlineRun(state.stepIndex);
  const stops: Action[] =
    by !== null &&
    state.stepIndex < spec.steps.length &&
    'analysis' in (spec.steps[state.stepIndex] as CanaryStepSpec)
      ? [{ type: 'stopAnalysis', run }]
      : [];
  const done: CanaryState = { ...state, stepIndex: spec.steps.length, promoteRequested: false };
  if (input.spec.hooks.prePromote !== undefined) {
    return to(input, done, 'prePromote', [...stops, { type: 'runHook', hook: 'prePromote' }], {
      reason: Reason.HookStarted,
      message: `${by === null ? 'Every step passed' : `${by} skips the remaining steps`}; running the prePromote hook before ${input.target.version} takes all traffic.`,
    });
  }
  const scaled = scaleToFull(input, done, by);
  return { ...scaled, actions: [...stops, ...scaled.actions] };
}

function scaleToFull(input: Input, state: CanaryState, by: string | null = null): Step {
  const why = by === null ? 'Every step passed' : `${by} skips the remaining steps`;
  if (state.canaryReplicas >= state.replicas) {
    const healthy = countInstances(input.observations, state.newPool, input.target.revision, true);
    if (healthy >= state.replicas) return takeAllTraffic(input, state);
  }
  return to(
    input,
    { ...state, canaryReplicas: state.replicas },
    'promoting',
    [startPoolAction(state.newPool, input.target, state.replicas)],
    {
      reason: Reason.Promoting,
      message: `${why}; scaling pool ${state.newPool} to ${state.replicas} instance(s) before it takes all traffic.`,
    },
  );
}

/** One router update sends everything to the new pool; the stable pool drains and stops. */
function takeAllTraffic(input: Input, state: CanaryState): Step {
  const stable = state.stable as NonNullable<CanaryState['stable']>;
  const actions: Action[] = [
    allTrafficTo(state.newPool),
    { type: 'removePool', pool: stable.pool },
  ];
  if (state.backgroundStarted) actions.push({ type: 'stopAnalysis', run: BACKGROUND_RUN });
  if (input.spec.hooks.postPromote !== undefined)
    actions.push({ type: 'runHook', hook: 'postPromote' });
  return to(input, { ...state, weight: 100 }, 'scalingDown', actions, {
    reason: Reason.TrafficSwitched,
    message: `${input.target.version} takes all traffic (pool ${state.newPool}); draining and stopping pool ${stable.pool} (${stable.version}).`,
  });
}

/** The background analysis failing ends the rollout wherever it is (before the final switch). */
function backgroundFailure(input: Input, state: CanaryState): Step | undefined {
  if (!state.backgroundStarted) return undefined;
  if (state.phase !== 'steps' && state.phase !== 'prePromote' && state.phase !== 'promoting')
    return undefined;
  const result = input.observations.analysis[BACKGROUND_RUN];
  if (result?.verdict === 'failed') return abortByAnalysis(input, state, result);
  if (result?.verdict !== 'inconclusive' || state.backgroundInconclusive === true) return undefined;
  // Not enough traffic to judge: never a pass. A person decides, as for an inline analysis.
  return to(input, { ...state, paused: true, backgroundInconclusive: true }, state.phase, [], {
    reason: Reason.AnalysisInconclusive,
    message: `The background analysis was inconclusive: ${result.message} The rollout is paused: run \`switchyard resume\` to go on without it, or \`switchyard abort\` to return to ${state.stable?.version ?? 'stable'}.`,
  });
}

function abortByAnalysis(input: Input, state: CanaryState, result: AnalysisObservation): Step {
  const back = state.stable === null ? '' : ` All traffic is back on ${state.stable.version}.`;
  return retreat(input, state, {
    status: 'failed',
    reason: Reason.AnalysisFailed,
    message: `Analysis failed: ${result.message}${back}`,
  });
}

function abortByCommand(input: Input, state: CanaryState, command: Command): Step {
  if (state.phase === 'scalingDown' || state.phase === 'removingNew' || state.phase === 'done') {
    const why = state.phase === 'scalingDown' ? 'the old pool is already stopping' : null;
    return record(input, state, haltIgnored(command, why));
  }
  const rolledBack = command.name === 'rollback' && state.weight > 0;
  const back =
    state.stable === null ? 'nothing was live before' : `all traffic is on ${state.stable.version}`;
  return retreat(input, state, {
    status: rolledBack ? 'rolledBack' : 'aborted',
    reason: rolledBack ? Reason.RolledBack : Reason.RolloutAborted,
    message: `${command.name} requested by ${command.requestedBy}: ${back}; pool ${state.newPool} (${input.target.version}) is removed.`,
  });
}

/** All traffic back on stable in one router update, analysis stopped, the new pool out. */
function retreat(input: Input, state: CanaryState, outcome: Outcome): Step {
  const actions: Action[] = [
    { type: 'setRouting', weights: stableWeights(state.stable), previewPool: null },
    { type: 'removePool', pool: state.newPool },
  ];
  if (state.backgroundStarted) actions.push({ type: 'stopAnalysis', run: BACKGROUND_RUN });
  const step = canarySpec(input.spec).steps[state.stepIndex];
  if (state.phase === 'steps' && step !== undefined && 'analysis' in step) {
    actions.push({ type: 'stopAnalysis', run: inlineRun(state.stepIndex) });
  }
  if (state.weight > 0 && input.spec.hooks.postRollback !== undefined) {
    actions.push({ type: 'runHook', hook: 'postRollback' });
  }
  return to(input, { ...state, outcome, weight: 0 }, 'removingNew', actions, {
    reason: outcome.reason,
    message: `${outcome.message} Removing pool ${state.newPool}.`,
  });
}

function awaitHealthy(
  input: Input,
  state: CanaryState,
  needed: number,
  next: () => Step,
): Step | undefined {
  const healthy = countInstances(input.observations, state.newPool, input.target.revision, true);
  if (healthy >= needed) return next();
  return timedOut(input, state, state.phaseSince, healthy, needed);
}

/** Instances that are not healthy within startupTimeout of `since` fail the rollout. */
function timedOut(
  input: Input,
  state: CanaryState,
  since: number,
  healthy: number,
  needed: number,
): Step | undefined {
  const timeout = input.spec.healthCheck.startupTimeout;
  if (input.now < since + durationMs(timeout)) return undefined;
  return retreat(input, state, {
    status: 'failed',
    reason: Reason.StartupTimeout,
    message: `Only ${healthy} of ${needed} instance(s) of ${input.target.version} passed their health checks within startupTimeout (${timeout}); traffic is back where it was. See \`switchyard logs\`.`,
  });
}

/** A gating hook; one that fails removes the canary and puts traffic back. */
function gate(input: Input, state: CanaryState, hook: HookName, next: () => Step): Step {
  return gateOnHook(input, state, hook, {
    passed: next,
    failed: (result) =>
      retreat(input, state, {
        status: 'failed',
        reason: Reason.HookFailed,
        message: `The ${hook} hook failed (${result.detail}); ${input.target.version} is removed and traffic is back where it was.`,
      }),
  });
}

function foldCommand(state: CanaryState, command: Command): CanaryState {
  if (command.name === 'pause') return { ...state, paused: true };
  if (command.name === 'resume') return { ...state, paused: false };
  if (command.name === 'promote') return { ...state, promoteRequested: true, paused: false };
  return state;
}

function waitOf(input: Input, state: CanaryState): Action & { type: 'wait' } {
  const startupMs = durationMs(input.spec.healthCheck.startupTimeout);
  switch (state.phase) {
    case 'waitingHealthy':
    case 'promoting':
      return { type: 'wait', until: state.phaseSince + startupMs, for: 'health checks' };
    case 'steps': {
      const step = canarySpec(input.spec).steps[state.stepIndex];
      if (step === undefined) return { type: 'wait', until: null, for: 'the next step' };
      if ('setWeight' in step)
        return { type: 'wait', until: state.stepSince + startupMs, for: 'health checks' };
      if ('pause' in step) {
        const ms = pauseMs(step.pause);
        return ms === null || state.paused
          ? { type: 'wait', until: null, for: 'promote' }
          : { type: 'wait', until: state.stepSince + ms, for: 'the pause' };
      }
      return { type: 'wait', until: null, for: 'analysis' };
    }
    default:
      return defaultWait(state.phase);
  }
}

/**
 * Paused while waiting on a person: after `pause`, on a `pause: {}` step, or
 * on an analysis that ended inconclusive (too little traffic to judge), which
 * `promote` accepts and `abort` rejects — as Argo Rollouts does.
 */
export function canaryStatusOf(state: CanaryState, spec: ResolvedSpec): RolloutStatus {
  if (state.phase === 'done') return finalStatus(state);
  if (state.paused) return 'paused';
  if (state.phase !== 'steps') return 'progressing';
  if (state.inconclusive) return 'paused';
  const step = canarySpec(spec).steps[state.stepIndex];
  if (step !== undefined && 'pause' in step && pauseMs(step.pause) === null) return 'paused';
  return 'progressing';
}

/** One line for `status`: the step and what it waits for. */
export function describeCanary(state: CanaryState, spec: ResolvedSpec, now: number): string {
  const paused = state.paused ? ' (paused)' : '';
  const steps = canarySpec(spec).steps;
  switch (state.phase) {
    case 'steps': {
      const step = steps[state.stepIndex];
      const at = `step ${state.stepIndex + 1}/${steps.length}, canary at ${state.weight}%`;
      if (step === undefined) return at;
      if ('pause' in step) {
        const ms = pauseMs(step.pause);
        return ms === null
          ? `${at}: paused until promote`
          : `${at}: pause ${step.pause as string} (${secondsLeft(state.stepSince + ms, now)} left)${paused}`;
      }
      if ('analysis' in step)
        return `${at}: analysis ${step.analysis.templates.join(', ')}${paused}`;
      return `${at}: scaling to ${replicasFor(state.replicas, step.setWeight)} instance(s) for ${step.setWeight}%${paused}`;
    }
    case 'promoting':
      return `scaling pool ${state.newPool} up to ${state.replicas} before it takes all traffic`;
    default:
      return describeSharedPhase(state, paused);
  }
}

function describeStep(step: CanaryStepSpec): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}`;
  if ('pause' in step)
    return typeof step.pause === 'string' ? `pause ${step.pause}` : 'pause until promote';
  return `analysis ${step.analysis.templates.join(', ')}`;
}

export function inlineRun(index: number): string {
  return `step-${index}`;
}

/** Instances the canary needs for `weight`% of traffic: ceil(replicas × weight / 100), at least one. */
export function replicasFor(replicas: number, weight: number): number {
  return Math.min(replicas, Math.max(1, Math.ceil((replicas * weight) / 100)));
}

function firstWeight(steps: readonly CanaryStepSpec[]): number {
  for (const step of steps) if ('setWeight' in step) return step.setWeight;
  return 0;
}

/** Canary at `weight`%, stable at the rest; `previewPool` lets the header override and preview reach it. */
function routing(state: CanaryState, weight: number, previewPool: string | null): Action {
  const weights: PoolWeight[] =
    state.stable === null
      ? [{ pool: state.newPool, weight }]
      : [
          { pool: state.stable.pool, weight: 100 - weight },
          { pool: state.newPool, weight },
        ];
  return { type: 'setRouting', weights, previewPool };
}

export function canarySpec(spec: ResolvedSpec): CanarySpec {
  const strategy = effectiveStrategy(spec.strategy);
  if (strategy.kind !== 'canary')
    throw new Error(`The canary strategy was given a ${strategy.kind} spec.`);
  return strategy.canary;
}
