/**
 * A rollout that fails because its new instances never became healthy
 * (blue/green's and canary's startupTimeout, rolling's progressDeadline) says
 * why, when the controller saw why: the last start failure (an image that is
 * not there, a command the runtime refused) or the last exit of an instance
 * of the revision (with its last log lines), from this rollout's events.
 * The strategy only knows the counts; this adds the evidence, so `deploy
 * --wait`, `status` and `history` name the cause instead of only a timeout.
 */
import { Reason } from '../rollout/reasons.ts';
import type { Rollout, StateStore } from '../state/store.ts';

const EVIDENCE = new Set(['instance.startFailed', 'instance.exited']);
/** Failures that mean "the new instances did not become healthy in time". */
const NOT_HEALTHY_IN_TIME = new Set<string>([
  Reason.StartupTimeout,
  Reason.ProgressDeadlineExceeded,
]);

export function withStartupEvidence(
  store: Pick<StateStore, 'listEvents'>,
  rollout: Pick<Rollout, 'id' | 'service' | 'environment'>,
  revision: number,
  mark: { readonly reason: string; readonly message: string },
): string {
  if (!NOT_HEALTHY_IN_TIME.has(mark.reason)) return mark.message;
  const key = { service: rollout.service, environment: rollout.environment };
  // From the rollout's first event on (its creation), oldest first.
  const since = store.listEvents({ ...key, rolloutId: rollout.id, limit: 1 })[0]?.id ?? 0;
  const last = store
    .listEvents({ ...key, afterId: since })
    .findLast(
      (event) =>
        EVIDENCE.has(event.type) &&
        (event.data as { revision?: unknown } | undefined)?.revision === revision,
    );
  return last === undefined ? mark.message : `${mark.message} Last: ${last.message}`;
}
