/** Milliseconds since the epoch; injectable so the rolling window runs on a fake clock in tests. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
