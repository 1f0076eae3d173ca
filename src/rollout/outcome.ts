/**
 * How a strategy tells a transition (a Mark: one `markStatus` event) and how
 * a rollout ends (an Outcome, kept on the state so a restarted controller
 * and `status` read the same end).
 */
import type { RolloutStatus } from '../state/store.ts';
import { Reason } from './reasons.ts';

export interface Outcome {
  readonly status: RolloutStatus;
  readonly reason: Reason;
  readonly message: string;
}

/** The event of one transition; without `status`, the status of the state it leads to. */
export interface Mark {
  readonly status?: RolloutStatus;
  readonly reason: Reason;
  readonly message: string;
}

/** The end of a rollout whose new pool was removed without a recorded outcome. */
export const ROLLOUT_FAILED: Outcome = {
  status: 'failed',
  reason: Reason.RolloutFailed,
  message: 'The rollout failed.',
};

/** The status of a finished rollout: its outcome's, or succeeded when it kept none. */
export function finalStatus(state: { readonly outcome: Outcome | null }): RolloutStatus {
  return state.outcome?.status ?? 'succeeded';
}
