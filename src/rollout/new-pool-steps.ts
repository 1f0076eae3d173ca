/**
 * How blue/green and canary bring a new revision up in its own pool beside
 * the stable one, before their own steps: started at weight 0
 * (health-checked, no traffic); once healthy, the postDeploy hook runs with
 * the pool on the preview listener; a first deploy then takes all traffic at
 * once, as there is nothing to compare with. (Rolling grows its new pool
 * batch by batch instead.)
 */
import type { Action } from './actions.ts';
import type { PhaseSteps, PhasedState } from './phase-steps.ts';
import { allTrafficTo, besideStable, startPoolAction } from './pool-actions.ts';
import { Reason } from './reasons.ts';
import type { StrategyInput, StrategyStep } from './strategy.ts';

/** Phases these steps enter; newPoolSteps does not compile for a state without them. */
type NewPoolPhase = 'waitingHealthy' | 'postDeploy' | 'done';

export interface NewPoolSteps<S extends PhasedState> {
  /** `replicas` instances of the new revision start in the new pool, at weight 0 beside stable. */
  startNewPool(input: StrategyInput<S>, state: S, replicas: number): StrategyStep<S>;
  /** The new pool is healthy: the postDeploy hook, or undefined when there is none. */
  startPostDeploy(input: StrategyInput<S>, state: S): StrategyStep<S> | undefined;
  /** First deploy: nothing to compare with or return to; all traffic to the new pool at once. */
  goLiveFirst(input: StrategyInput<S>, state: S): StrategyStep<S>;
}

export function newPoolSteps<S extends PhasedState>(
  steps: PhaseSteps<S> & (NewPoolPhase extends S['phase'] ? unknown : never),
): NewPoolSteps<S> {
  const { to } = steps;
  const waitingHealthy = 'waitingHealthy' as S['phase'];
  const postDeploy = 'postDeploy' as S['phase'];
  const done = 'done' as S['phase'];

  return {
    startNewPool(input, state, replicas) {
      const { target } = input;
      const start = startPoolAction(state.newPool, target, replicas);
      return to(input, state, waitingHealthy, [start, besideStable(state, null)], {
        reason: Reason.PoolStarting,
        message: `Starting ${replicas} instance(s) of ${target.version} (revision ${target.revision}) in pool ${state.newPool}; waiting for their health checks.`,
      });
    },
    startPostDeploy(input, state) {
      if (input.spec.hooks.postDeploy === undefined) return undefined;
      const actions: Action[] = [
        besideStable(state, state.newPool),
        { type: 'runHook', hook: 'postDeploy' },
      ];
      return to(input, state, postDeploy, actions, {
        reason: Reason.HookStarted,
        message: `${input.target.version} is healthy; running the postDeploy hook before it takes traffic.`,
      });
    },
    goLiveFirst(input, state) {
      return to(input, state, done, [allTrafficTo(state.newPool)], {
        status: 'succeeded',
        reason: Reason.RolloutSucceeded,
        message: `First deploy: ${input.target.version} is healthy and takes all traffic.`,
      });
    },
  };
}
