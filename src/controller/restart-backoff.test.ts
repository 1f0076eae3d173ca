import { describe, expect, it } from 'vitest';
import { backoffDelayMs, recordExit } from './restart-backoff.ts';
import type { BackoffPolicy, BackoffState } from './restart-backoff.ts';

const policy: BackoffPolicy = { baseMs: 1_000, capMs: 8_000, windowMs: 10_000 };

describe('restart backoff', () => {
  it('replaces the first exit at once', () => {
    expect(recordExit(undefined, 5_000, policy)).toEqual({
      exits: 1,
      lastExitAt: 5_000,
      notBefore: 5_000,
    });
  });

  it('doubles the wait for each exit soon after the last replacement, up to the cap', () => {
    let state: BackoffState | undefined;
    const waits: number[] = [];
    let now = 0;
    for (let i = 0; i < 7; i += 1) {
      state = recordExit(state, now, policy);
      waits.push(state.notBefore - now);
      // The replacement starts when allowed and dies 2 s later.
      now = state.notBefore + 2_000;
    }
    expect(waits).toEqual([0, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(state?.exits).toBe(7);
  });

  it('starts a new streak once a replacement stayed up for the window', () => {
    const first = recordExit(undefined, 0, policy);
    const second = recordExit(first, 1_000, policy);
    expect(second).toMatchObject({ exits: 2, notBefore: 2_000 });
    // Still within the window after the replacement was due (2 s + 10 s).
    expect(recordExit(second, 11_999, policy).exits).toBe(3);
    // The replacement lived 10 s: a fresh streak, replaced at once.
    expect(recordExit(second, 12_000, policy)).toEqual({
      exits: 1,
      lastExitAt: 12_000,
      notBefore: 12_000,
    });
  });

  it('never overflows for long streaks', () => {
    expect(backoffDelayMs(1_000, policy)).toBe(8_000);
    expect(backoffDelayMs(0, policy)).toBe(0);
  });
});
