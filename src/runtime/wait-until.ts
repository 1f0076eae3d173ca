/**
 * How a driver waits for an instance to end after a signal: it asks again
 * every few milliseconds until the answer is yes or the time is up.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long; Number.POSITIVE_INFINITY waits for as long as it takes. */
  readonly timeoutMs: number;
  /** How long between two checks. */
  readonly everyMs: number;
}

/** True once `done` answers true; false when it still does not at the deadline. */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(options.everyMs);
  }
}
