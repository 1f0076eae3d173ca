/**
 * The `status` line of a rollout (STYLE.md §8: one vocabulary): phases that
 * every strategy names alike read alike; each strategy describes its own.
 */
import { finalStatus } from './outcome.ts';
import type { PhasedState } from './phase-steps.ts';

/**
 * The line for a phase strategies share: a gating hook, waiting for health,
 * draining, removing, done; any other phase by its name (`pending`).
 * `paused` is appended where a pause holds the phase.
 */
export function describeSharedPhase(state: PhasedState, paused: string): string {
  switch (state.phase) {
    case 'preDeploy':
    case 'postDeploy':
    case 'prePromote':
      return `running the ${state.phase} hook`;
    case 'waitingHealthy':
      return `waiting for pool ${state.newPool} to pass health checks${paused}`;
    case 'scalingDown':
      return `draining and stopping pool ${state.stable?.pool ?? ''}`;
    case 'removingNew':
      return `removing pool ${state.newPool}`;
    case 'done':
      return finalStatus(state);
    default:
      return state.phase;
  }
}

/** Whole seconds from `now` until `until`, never below zero, as `status` shows them ("12s"). */
export function secondsLeft(until: number, now: number): string {
  return `${Math.max(0, Math.ceil((until - now) / 1000))}s`;
}
