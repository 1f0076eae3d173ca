import { describe, expect, it } from 'vitest';
import { LATENCY_RELATIVE_PRECISION } from './latency-histogram.ts';
import { RollingWindow } from './rolling-window.ts';

class FakeClock {
  ms = 1_700_000_000_000;
  now(): number {
    return this.ms;
  }
}

function expectWithinPrecision(actual: number | null, exact: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - exact) / exact).toBeLessThanOrEqual(LATENCY_RELATIVE_PRECISION);
}

describe('RollingWindow', () => {
  it('gives requests 0, null rates and null percentiles with no data', () => {
    const window = new RollingWindow({ clock: new FakeClock() });
    expect(window.stats()).toEqual({
      seconds: 60,
      requests: 0,
      errors: 0,
      successRate: null,
      p50: null,
      p95: null,
      p99: null,
      rps: 0,
    });
  });

  it('computes percentiles within the bucket precision on a uniform distribution', () => {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock });
    // 1..1000 ms, spread over 10 seconds: exact p50 = 500, p95 = 950, p99 = 990.
    for (let ms = 1; ms <= 1000; ms++) {
      window.record(200, ms / 1000);
      if (ms % 100 === 0) clock.ms += 1000;
    }
    const stats = window.stats();
    expect(stats.requests).toBe(1000);
    expectWithinPrecision(stats.p50, 500);
    expectWithinPrecision(stats.p95, 950);
    expectWithinPrecision(stats.p99, 990);
  });

  it('finds a slow tail: 98% at 10 ms and 2% at 2 s', () => {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock });
    for (let i = 0; i < 980; i++) window.record(200, 0.01);
    for (let i = 0; i < 20; i++) window.record(200, 2);
    const stats = window.stats();
    expectWithinPrecision(stats.p50, 10);
    expectWithinPrecision(stats.p95, 10);
    expectWithinPrecision(stats.p99, 2000);
  });

  it('counts 5xx as failures and 4xx as successes', () => {
    const window = new RollingWindow({ clock: new FakeClock() });
    for (const status of [200, 201, 304, 404, 429, 500, 502, 503]) window.record(status, 0.005);
    const stats = window.stats();
    expect(stats.requests).toBe(8);
    expect(stats.errors).toBe(3);
    expect(stats.successRate).toBe(5 / 8);
  });

  it('expires seconds that fall out of the window', () => {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock, seconds: 10 });
    window.record(500, 0.5); // second 0: a slow error
    clock.ms += 5000;
    for (let i = 0; i < 4; i++) window.record(200, 0.01); // second 5
    expect(window.stats().requests).toBe(5);
    expect(window.stats(5).requests).toBe(4); // only seconds 1..5
    clock.ms += 5000; // second 10: second 0 has left the 10-second window
    const stats = window.stats();
    expect(stats).toMatchObject({ requests: 4, errors: 0, successRate: 1 });
    expectWithinPrecision(stats.p99, 10);
    clock.ms += 20_000; // long idle: everything has gone, even though nothing overwrote the ring
    expect(window.stats()).toMatchObject({ requests: 0, successRate: null, p50: null });
  });

  it('reuses a ring slot for a new second without mixing in the old one', () => {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock, seconds: 3 });
    window.record(500, 1);
    clock.ms += 3000; // the same slot, three seconds later
    window.record(200, 0.002);
    expect(window.stats()).toMatchObject({ requests: 1, errors: 0 });
  });

  it('computes the request rate over the span the window has existed for', () => {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock, seconds: 60 });
    for (let second = 0; second < 10; second++) {
      for (let i = 0; i < 30; i++) window.record(200, 0.001);
      clock.ms += 1000;
    }
    clock.ms -= 1000; // still inside the tenth second
    expect(window.stats().rps).toBe(30); // 300 requests over the 10 seconds since the first
    clock.ms += 60_000 + 1000;
    for (let i = 0; i < 60; i++) window.record(200, 0.001);
    expect(window.stats().rps).toBe(1); // 60 requests over a full 60-second window
  });

  it('refuses a window that holds no whole seconds', () => {
    expect(() => new RollingWindow({ clock: new FakeClock(), seconds: 0 })).toThrow(RangeError);
  });
});
