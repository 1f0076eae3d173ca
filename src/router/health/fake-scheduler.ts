import type { Scheduler, TimerHandle } from './scheduler.ts';

interface FakeTimer extends TimerHandle {
  readonly dueAt: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A scheduler whose time moves only when a test calls `advance`. Timers fire
 * in due order (ties in the order they were set), including timers set by
 * callbacks that fire during the same advance.
 */
export class FakeScheduler implements Scheduler {
  private nowMs = 0;
  private seq = 0;
  private readonly timers = new Set<FakeTimer>();

  now(): number {
    return this.nowMs;
  }

  /** How many timers are waiting to fire. */
  pending(): number {
    return this.timers.size;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: FakeTimer = {
      __timer: null,
      dueAt: this.nowMs + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
    };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as FakeTimer);
  }

  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.timers.delete(next);
      this.nowMs = next.dueAt;
      next.callback();
    }
    this.nowMs = target;
  }

  private nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.timers) {
      if (timer.dueAt > limit) continue;
      if (!best || timer.dueAt < best.dueAt || (timer.dueAt === best.dueAt && timer.seq < best.seq))
        best = timer;
    }
    return best;
  }
}
