/**
 * One signal for "stop now": the provider's own timeout or the caller's
 * abort (the run was cancelled), whichever comes first — and, afterwards,
 * which of the two it was, so the observation can say so.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Whether the signal fired because the time ran out (not the caller's abort). */
  timedOut(): boolean;
  /** Why the signal fired, as a verb phrase: "timed out after 10s" or "was cancelled". */
  outcome(): string;
}

export function deadline(timeoutMs: number, caller?: AbortSignal): Deadline {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = caller === undefined ? timeout : AbortSignal.any([timeout, caller]);
  const timedOut = () => timeout.aborted && !(caller?.aborted ?? false);
  return {
    signal,
    timedOut,
    outcome: () => (timedOut() ? `timed out after ${formatMs(timeoutMs)}` : 'was cancelled'),
  };
}

/** 10000 → "10s", 1500 → "1500ms": how durations read in messages. */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts — for work
 * that takes no signal of its own (the router admin client).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
