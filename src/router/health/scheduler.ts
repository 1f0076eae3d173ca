/**
 * Timers behind an interface, so health probing (intervals and probe timeouts)
 * runs on a fake scheduler in unit tests: deterministic, and no test waits
 * for real time to pass.
 */
export interface TimerHandle {
  readonly __timer: unknown;
}

export interface Scheduler {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real thing: unref'd timers, so pending probes never keep a process alive. */
export const systemScheduler: Scheduler = {
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return { __timer: timer };
  },
  clearTimeout(handle) {
    clearTimeout(handle.__timer as NodeJS.Timeout);
  },
};
