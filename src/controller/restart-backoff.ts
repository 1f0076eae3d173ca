/**
 * When a pool's instances keep dying, replacing them at once would be a
 * restart storm. A pure function (no timers, `now` comes in) decides how long
 * the pool waits before its next replacement: the first exit after a quiet
 * spell is replaced at once; each further exit that comes soon after the last
 * replacement doubles the wait, up to a cap. A replacement that stays up for
 * `windowMs` ends the streak.
 */

export interface BackoffPolicy {
  /** The wait after the second exit in a streak; it doubles with each further one. */
  readonly baseMs: number;
  /** The longest wait. */
  readonly capMs: number;
  /** An exit more than this long after the last replacement was due starts a new streak. */
  readonly windowMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 30_000, windowMs: 30_000 };

/** A pool's exit streak. */
export interface BackoffState {
  /** Exits in the current streak (1 for the first). */
  readonly exits: number;
  /** Epoch ms of the last exit. */
  readonly lastExitAt: number;
  /** Epoch ms before which the pool starts no replacement. */
  readonly notBefore: number;
}

/** The pool's streak after an exit observed at `now`. */
export function recordExit(
  previous: BackoffState | undefined,
  now: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): BackoffState {
  const streak = previous !== undefined && now < previous.notBefore + policy.windowMs;
  const exits = streak ? previous.exits + 1 : 1;
  return { exits, lastExitAt: now, notBefore: now + backoffDelayMs(exits, policy) };
}

/** How long the pool waits before replacing the `exits`-th exit of a streak. */
export function backoffDelayMs(exits: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (exits <= 1) return 0;
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(exits - 2, 30));
}
