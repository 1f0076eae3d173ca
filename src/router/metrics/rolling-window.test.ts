import { describe, expect, it } from 'vitest';
import { LATENCY_RELATIVE_PRECISION } from './latency-histogram.ts';
import { RollingWindow, countSlowerThan, resolveSpan, type WindowStats } from './rolling-window.ts';

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
      from: 1_700_000_000 - 59,
      to: 1_700_000_000,
      requests: 0,
      errors: 0,
      slow: 0,
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
    expect(window.stats({ seconds: 5 }).requests).toBe(4); // only seconds 1..5
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

const NOW = 1_700_000_000; // FakeClock's second

describe('RollingWindow: spans of complete seconds', () => {
  /** A window with `perSecond[i]` requests of 10 ms in second NOW − perSecond.length + i … up to NOW. */
  function filled(perSecond: readonly number[], seconds = 60) {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock, seconds });
    clock.ms -= (perSecond.length - 1) * 1000;
    for (const count of perSecond) {
      for (let i = 0; i < count; i++) window.record(200, 0.01);
      clock.ms += 1000;
    }
    clock.ms -= 1000; // back inside the last second, which is still filling
    return { clock, window };
  }

  it('ends at the last complete second, leaving out the one still filling', () => {
    const { window } = filled([1, 2, 4, 8]); // seconds NOW−3 … NOW
    expect(window.stats({ to: 'latest', seconds: 3 })).toMatchObject({
      from: NOW - 3,
      to: NOW - 1,
      seconds: 3,
      requests: 7,
    });
    // `to` is capped at the last complete second.
    expect(window.stats({ to: NOW + 100, seconds: 2 })).toMatchObject({
      from: NOW - 2,
      to: NOW - 1,
      requests: 6,
    });
    // With only `from`, up to the last complete second.
    expect(window.stats({ from: NOW - 2 })).toMatchObject({
      from: NOW - 2,
      to: NOW - 1,
      requests: 6,
    });
    // An explicit span in the past.
    expect(window.stats({ from: NOW - 3, to: NOW - 3 })).toMatchObject({ seconds: 1, requests: 1 });
    // `seconds` alone keeps its meaning: the current, partial second included.
    expect(window.stats({ seconds: 2 })).toMatchObject({ from: NOW - 1, to: NOW, requests: 12 });
  });

  it('counts each second once over consecutive spans', () => {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock, seconds: 30 });
    let after: number | null = null;
    let counted = 0;
    let sent = 0;
    for (let step = 0; step < 40; step++) {
      // Some requests, and a look every 0.7 s: sometimes twice within one second.
      for (let i = 0; i < (step % 5) + 1; i++, sent++) window.record(200, 0.01);
      clock.ms += 700;
      const stats: WindowStats =
        after === null
          ? window.stats({ to: 'latest', seconds: 1 })
          : window.stats({ from: after + 1 });
      if (after !== null) expect(stats.from).toBe(after + 1);
      counted += stats.requests;
      if (stats.seconds > 0) after = stats.to;
    }
    const inFlight = window.stats({ seconds: 1 }).requests; // the current second, not yet complete
    expect(counted + inFlight).toBe(sent);
  });

  it('clips a span older than the window keeps and says which seconds it covers', () => {
    const { window } = filled(
      Array.from({ length: 25 }, () => 1),
      10,
    ); // one request a second
    const stats = window.stats({ from: NOW - 24, to: NOW - 1 });
    // The window keeps its 10 complete seconds, besides the one filling.
    expect(stats).toMatchObject({ from: NOW - 10, to: NOW - 1, seconds: 10, requests: 10, rps: 1 });
    expect(window.stats({ to: 'latest', seconds: 60 })).toMatchObject({
      from: NOW - 10,
      seconds: 10,
    });
  });

  it('answers an empty span when no second has completed since `from`', () => {
    const { window } = filled([3, 3]);
    expect(window.stats({ from: NOW })).toEqual({
      seconds: 0,
      from: NOW,
      to: NOW - 1,
      requests: 0,
      errors: 0,
      slow: 0,
      successRate: null,
      p50: null,
      p95: null,
      p99: null,
      rps: 0,
    });
    expect(window.stats({ from: NOW + 50 })).toMatchObject({ seconds: 0, from: NOW, to: NOW - 1 });
  });

  it('rates a new pool over the seconds since its first request', () => {
    const { window } = filled([0, 0, 0, 5, 5]); // requests only in NOW−1 and NOW
    expect(window.stats({ from: NOW - 4, to: NOW - 1 })).toMatchObject({ seconds: 4, rps: 5 });
  });

  it('resolves spans without a window: the same rules for a pool with no traffic', () => {
    expect(resolveSpan({}, NOW, 60)).toEqual({ from: NOW - 59, to: NOW });
    expect(resolveSpan({ seconds: 600 }, NOW, 60)).toEqual({
      from: NOW - 59,
      to: NOW,
    });
    expect(resolveSpan({ to: 'latest' }, NOW, 60)).toEqual({
      from: NOW - 60,
      to: NOW - 1,
    });
    expect(resolveSpan({ to: NOW - 5, seconds: 5 }, NOW, 60)).toEqual({
      from: NOW - 9,
      to: NOW - 5,
    });
  });
});

describe('RollingWindow: slow requests', () => {
  it('counts the requests slower than a threshold', () => {
    const window = new RollingWindow({ clock: new FakeClock() });
    for (let i = 0; i < 90; i++) window.record(200, 0.01);
    for (let i = 0; i < 10; i++) window.record(500, 0.2);
    expect(window.stats({ slowerThanMs: 100 })).toMatchObject({ requests: 100, slow: 10 });
    expect(window.stats({ slowerThanMs: 1 }).slow).toBe(100);
    expect(window.stats({ slowerThanMs: 1000 }).slow).toBe(0);
    expect(window.stats().slow).toBe(0); // not asked
  });

  it('counts at most the tail above a pool’s own p95 as slow for that pool', () => {
    const clock = new FakeClock();
    const window = new RollingWindow({ clock });
    for (let ms = 1; ms <= 1000; ms++) window.record(200, ms / 1000);
    const { p95 } = window.stats();
    const { slow } = window.stats({ slowerThanMs: p95! });
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThanOrEqual(50);
    // Within the histogram's precision of the exact count (the requests above 950 ms).
    expect(Math.abs(slow - 50)).toBeLessThanOrEqual(1000 * LATENCY_RELATIVE_PRECISION);
  });

  it('judges a request by the value its bucket stands for', () => {
    const counts = new Uint32Array(200);
    counts[0] = 3; // 0 ms
    counts[199] = 2;
    expect(countSlowerThan(counts, 0)).toBe(2);
    expect(countSlowerThan(counts, -1)).toBe(5);
    expect(countSlowerThan(new Uint32Array(200), 0)).toBe(0);
  });
});
