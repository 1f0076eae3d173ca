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
import type { PoolWeight, RolloutStatus } from '../state/store.ts';
import type { Action, HookName } from './actions.ts';
import { Reason } from './reasons.ts';
import type { Command, StrategyInput, StrategyStep } from './strategy.ts';
import { countInstances, newPoolName, takeCommands } from './strategy-kit.ts';
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

export interface Outcome {
  readonly status: RolloutStatus;
  readonly reason: Reason;
  readonly message: string;
}

export interface BlueGreenState {
  readonly kind: 'blueGreen';
  readonly phase: BlueGreenPhase;
  /** Epoch ms at which the phase began (startupTimeout and scaleDownDelay count from here). */
  readonly phaseSince: number;
  readonly newPool: string;
  /** The pool live when the rollout began; null on a first deploy. */
  readonly stable: {
    readonly pool: string;
    readonly revision: number;
    readonly version: string;
  } | null;
  readonly replicas: number;
  readonly previewReplicas: number;
  /** When autoPromote fires; null = wait for `promote`. */
  readonly promoteAt: number | null;
  readonly paused: boolean;
  readonly promoteRequested: boolean;
  /** A pre- or post-promotion analysis ended inconclusive: waiting for `promote` to accept it. */
  readonly analysisInconclusive?: boolean;
  readonly lastCommandId: number;
  /** While the new pool is being removed: how the rollout ends once it is gone. */
  readonly outcome: Outcome | null;
}

type Input = StrategyInput<BlueGreenState>;
type Step = StrategyStep<BlueGreenState>;

export function blueGreen(input: Input): Step {
  if (input.state === undefined) return begin(input);
  const { state, commands } = takeCommands(input.state, input.observations.commands, foldCommand);
  const halt = commands.find((command) => command.name === 'abort' || command.name === 'rollback');
  if (halt !== undefined) return abort(input, state, halt);

  const step = advance(input, state) ?? stay(input, state);
  const transition = step.actions.some((action) => action.type === 'markStatus');
  if (transition || state === input.state) return step;
  // Only pause, resume or promote changed: record them, stay in the phase.
  const last = commands[commands.length - 1] as Command;
  const reason =
    last.name === 'pause'
      ? Reason.Paused
      : last.name === 'resume'
        ? Reason.Resumed
        : Reason.PromoteRequested;
  return {
    ...step,
    actions: [
      ...step.actions,
      {
        type: 'markStatus',
        status: statusOf(state),
        reason,
        message: `${last.name} requested by ${last.requestedBy}.`,
      },
    ],
  };
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
      return gateOnHook(input, state, 'preDeploy', () => startNewPool(input, state));
    case 'waitingHealthy':
      return awaitHealthy(input, state, state.previewReplicas, () => afterHealthy(input, state));
    case 'postDeploy':
      return gateOnHook(input, state, 'postDeploy', () => afterPostDeploy(input, state));
    case 'awaitingPromote':
      return awaitPromote(input, state);
    case 'prePromote':
      return gateOnHook(input, state, 'prePromote', () => scaleUpOrSwitch(input, state));
    case 'scalingUp':
      return awaitHealthy(input, state, state.replicas, () => switchTraffic(input, state));
    case 'scaleDownDelay':
      return awaitScaleDown(input, state);
    case 'scalingDown':
      return awaitGone(input, state, state.stable, {
        status: 'succeeded',
        reason: Reason.RolloutSucceeded,
        message: `${input.target.version} takes all traffic; the old pool is stopped.`,
      });
    case 'removingNew':
      return awaitGone(
        input,
        state,
        { pool: state.newPool, revision: input.target.revision, version: input.target.version },
        state.outcome ?? {
          status: 'failed',
          reason: Reason.RolloutFailed,
          message: 'The rollout failed.',
        },
      );
    case 'done':
      return undefined;
  }
}

function begin(input: Input): Step {
  const { spec, topology, target, now } = input;
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
  // Pools left over beside the live one (a cleanup that never ran) go first.
  const leftovers: Action[] = topology.pools
    .filter((pool) => pool.name !== live?.name)
    .map((pool) => ({ type: 'removePool', pool: pool.name }));
  if (spec.hooks.preDeploy !== undefined) {
    return to(state, 'preDeploy', now, [...leftovers, { type: 'runHook', hook: 'preDeploy' }], {
      reason: Reason.HookStarted,
      message: `Running the preDeploy hook before ${target.version} starts.`,
    });
  }
  const started = startNewPool(input, state);
  return { ...started, actions: [...leftovers, ...started.actions] };
}

function startNewPool(input: Input, state: BlueGreenState): Step {
  const { target } = input;
  return to(
    state,
    'waitingHealthy',
    input.now,
    [startPool(input, state, state.previewReplicas), besideStable(state, null)],
    {
      reason: Reason.PoolStarting,
      message: `Starting ${state.previewReplicas} instance(s) of ${target.version} (revision ${target.revision}) in pool ${state.newPool}; waiting for their health checks.`,
    },
  );
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

function afterHealthy(input: Input, state: BlueGreenState): Step {
  if (input.spec.hooks.postDeploy !== undefined) {
    return to(
      state,
      'postDeploy',
      input.now,
      [besideStable(state, state.newPool), { type: 'runHook', hook: 'postDeploy' }],
      {
        reason: Reason.HookStarted,
        message: `${input.target.version} is healthy; running the postDeploy hook before it takes traffic.`,
      },
    );
  }
  return afterPostDeploy(input, state);
}

function afterPostDeploy(input: Input, state: BlueGreenState): Step {
  const { target, now } = input;
  if (state.stable === null) {
    // First deploy: nothing to compare with or return to; go live at once.
    return to(
      state,
      'done',
      now,
      [
        {
          type: 'setRouting',
          weights: [{ pool: state.newPool, weight: 100 }],
          previewPool: state.newPool,
        },
      ],
      {
        status: 'succeeded',
        reason: Reason.RolloutSucceeded,
        message: `First deploy: ${target.version} is healthy and takes all traffic.`,
      },
    );
  }
  const autoPromote = blueGreenSpec(input.spec)?.autoPromote;
  const promoteAt = autoPromote === undefined ? null : now + durationMs(autoPromote);
  const next = { ...state, promoteAt };
  const pre = blueGreenSpec(input.spec)?.prePromotionAnalysis;
  if (state.promoteRequested && pre === undefined) return beginPromote(input, next);
  const actions: Action[] = [besideStable(state, state.newPool)];
  if (pre !== undefined) {
    actions.push(analysisOf(state, PRE_PROMOTION_RUN, pre.templates));
  }
  return to(next, 'awaitingPromote', now, actions, {
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
  return to({ ...state, analysisInconclusive: true }, state.phase, state.phaseSince, [], {
    status: 'paused',
    reason: Reason.AnalysisInconclusive,
    message: `Analysis was inconclusive: ${why} Run \`switchyard promote\` to accept ${input.target.version} and ${what}, or \`switchyard abort\`.`,
  });
}

function beginPromote(input: Input, state: BlueGreenState): Step {
  if (input.spec.hooks.prePromote !== undefined) {
    return to(state, 'prePromote', input.now, [{ type: 'runHook', hook: 'prePromote' }], {
      reason: Reason.HookStarted,
      message: 'Running the prePromote hook before the switch.',
    });
  }
  return scaleUpOrSwitch(input, state);
}

function scaleUpOrSwitch(input: Input, state: BlueGreenState): Step {
  if (state.previewReplicas >= state.replicas) return switchTraffic(input, state);
  return to(state, 'scalingUp', input.now, [startPool(input, state, state.replicas)], {
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
  return to(next, 'scaleDownDelay', input.now, actions, {
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
    return to({ ...state, outcome }, 'removingNew', input.now, actions, outcome);
  }
  if (post !== undefined && result?.verdict !== 'successful' && !state.promoteRequested) {
    if (result?.verdict !== 'inconclusive' || state.analysisInconclusive) return undefined;
    return inconclusive(input, state, result.message, 'stop the old pool');
  }
  if (state.paused || input.now < scaleDownAt(input, state)) return undefined;
  const stable = state.stable as NonNullable<BlueGreenState['stable']>;
  return to(
    state,
    'scalingDown',
    input.now,
    [
      {
        type: 'setRouting',
        weights: [{ pool: state.newPool, weight: 100 }],
        previewPool: state.newPool,
      },
      { type: 'removePool', pool: stable.pool },
    ],
    {
      reason: Reason.ScalingDown,
      message: `scaleDownDelay passed; draining and stopping pool ${stable.pool} (${stable.version}).`,
    },
  );
}

function awaitGone(
  input: Input,
  state: BlueGreenState,
  pool: BlueGreenState['stable'],
  outcome: Outcome,
): Step | undefined {
  if (pool !== null && countInstances(input.observations, pool.pool, pool.revision, false) > 0) {
    return undefined;
  }
  return to(state, 'done', input.now, [], outcome);
}

/** Gating hooks are asked for again on every step until their result is in: a restarted controller reruns one that was cut short. */
function gateOnHook(
  input: Input,
  state: BlueGreenState,
  hook: HookName,
  next: () => Step,
): Step | undefined {
  const result = input.observations.hooks[hook];
  if (result === undefined) {
    return {
      state,
      step: blueGreenStepNumber(state.phase),
      actions: [
        { type: 'runHook', hook },
        { type: 'wait', until: null, for: `the ${hook} hook` },
      ],
    };
  }
  if (result.ok) return next();
  return fail(input, state, {
    status: 'failed',
    reason: Reason.HookFailed,
    message: `The ${hook} hook failed (${result.detail}); nothing was switched and ${input.target.version} is removed.`,
  });
}

/** Traffic back to where it was before the rollout, the new pool out. */
function fail(input: Input, state: BlueGreenState, outcome: Outcome): Step {
  return to({ ...state, outcome }, 'removingNew', input.now, retreat(state), {
    reason: outcome.reason,
    message: `${outcome.message} Removing pool ${state.newPool}.`,
  });
}

function abort(input: Input, state: BlueGreenState, command: Command): Step {
  const switched = state.phase === 'scaleDownDelay';
  if (state.phase === 'scalingDown' || state.phase === 'removingNew' || state.phase === 'done') {
    return record(state, {
      reason: Reason.CommandIgnored,
      message:
        state.phase === 'scalingDown'
          ? `${command.name} came too late: the old pool is already stopping. Run \`switchyard rollback\` for a new rollout of the previous revision.`
          : `${command.name} ignored: the rollout is already ending.`,
    });
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
  return to({ ...state, outcome }, 'removingNew', input.now, actions, {
    reason: rolledBack ? Reason.RollbackRequested : Reason.AbortRequested,
    message: outcome.message,
  });
}

function retreat(state: BlueGreenState): Action[] {
  return [
    { type: 'setRouting', weights: stableWeights(state), previewPool: null },
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

function to(
  state: BlueGreenState,
  phase: BlueGreenPhase,
  now: number,
  actions: readonly Action[],
  mark: { status?: RolloutStatus; reason: Reason; message: string },
): Step {
  const next: BlueGreenState = { ...state, phase, phaseSince: now };
  return {
    state: next,
    step: blueGreenStepNumber(phase),
    actions: [
      ...actions,
      {
        type: 'markStatus',
        status: mark.status ?? statusOf(next),
        reason: mark.reason,
        message: mark.message,
      },
    ],
  };
}

/** Same phase, new state (a command was taken): one event, status recomputed. */
function record(state: BlueGreenState, mark: { reason: Reason; message: string }): Step {
  return {
    state,
    step: blueGreenStepNumber(state.phase),
    actions: [
      { type: 'markStatus', status: statusOf(state), reason: mark.reason, message: mark.message },
    ],
  };
}

/** Nothing to do yet: say what the rollout waits for, and until when. */
function stay(input: Input, state: BlueGreenState): Step {
  return {
    state,
    step: blueGreenStepNumber(state.phase),
    actions: state.phase === 'done' ? [] : [waitOf(input, state)],
  };
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
    case 'scalingDown':
      return { type: 'wait', until: null, for: 'the old pool to drain and stop' };
    case 'removingNew':
      return { type: 'wait', until: null, for: 'the new pool to drain and stop' };
    default:
      return { type: 'wait', until: null, for: state.phase };
  }
}

/** One line for `status`: the phase and what it waits for. */
export function describeBlueGreen(state: BlueGreenState, now: number): string {
  const seconds = (until: number) => `${Math.max(0, Math.ceil((until - now) / 1000))}s`;
  const paused = state.paused ? ' (paused)' : '';
  switch (state.phase) {
    case 'pending':
      return 'pending';
    case 'preDeploy':
    case 'postDeploy':
    case 'prePromote':
      return `running the ${state.phase} hook`;
    case 'waitingHealthy':
      return `waiting for pool ${state.newPool} to pass health checks${paused}`;
    case 'scalingUp':
      return `scaling pool ${state.newPool} up to ${state.replicas}${paused}`;
    case 'awaitingPromote':
      return state.promoteAt === null
        ? `waiting for promote${paused}`
        : `waiting for promote (autoPromote in ${seconds(state.promoteAt)})${paused}`;
    case 'scaleDownDelay':
      return `switched to pool ${state.newPool}; old pool kept for instant rollback${paused}`;
    case 'scalingDown':
      return `draining and stopping pool ${state.stable?.pool ?? ''}`;
    case 'removingNew':
      return `removing pool ${state.newPool}`;
    case 'done':
      return state.outcome?.status ?? 'succeeded';
  }
}

/** Paused while waiting on a person: for `promote`, or after `pause`. */
export function statusOf(state: BlueGreenState): RolloutStatus {
  if (state.phase === 'done') return state.outcome?.status ?? 'succeeded';
  if (state.paused) return 'paused';
  if (state.phase === 'awaitingPromote' && state.promoteAt === null) return 'paused';
  if (state.analysisInconclusive === true) return 'paused';
  return 'progressing';
}

function analysisOf(state: BlueGreenState, run: string, templates: readonly string[]): Action {
  return {
    type: 'startAnalysis',
    run,
    templates,
    pool: state.newPool,
    stablePool: state.stable?.pool ?? null,
    background: false,
  };
}

/** The pool live when the rollout began, at 100%: where an abort returns traffic. */
function stableWeights(state: BlueGreenState): PoolWeight[] {
  return state.stable === null ? [] : [{ pool: state.stable.pool, weight: 100 }];
}

/** The new pool at weight 0 beside the stable one (health-checked, no traffic). */
function besideStable(state: BlueGreenState, previewPool: string | null): Action {
  return {
    type: 'setRouting',
    weights: [...stableWeights(state), { pool: state.newPool, weight: 0 }],
    previewPool,
  };
}

function startPool(input: Input, state: BlueGreenState, replicas: number): Action {
  const { target } = input;
  return {
    type: 'startPool',
    pool: state.newPool,
    revision: target.revision,
    revisionId: target.revisionId,
    version: target.version,
    replicas,
  };
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
