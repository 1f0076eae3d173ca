import { describe, expect, it } from 'vitest';
import {
  RATE_RATIOS,
  addLogLRs,
  binomialLogLRs,
  emptyLogLikelihoodRatios,
  exceedanceLogLRs,
  logGamma,
  logMixture,
  logRejectionThreshold,
} from './sequential-test.ts';

/** ln C(n, x). */
const logChoose = (n: number, x: number) => logGamma(n + 1) - logGamma(x + 1) - logGamma(n - x + 1);

const binomialPmf = (x: number, n: number, p: number) =>
  Math.exp(logChoose(n, x) + x * Math.log(p) + (n - x) * Math.log(1 - p));

const betaBinomialPmf = (x: number, n: number, a: number, b: number) =>
  Math.exp(
    logChoose(n, x) +
      logGamma(x + a) +
      logGamma(n - x + b) -
      logGamma(n + a + b) -
      (logGamma(a) + logGamma(b) - logGamma(a + b)),
  );

/** Hypergeometric: x canary requests among `draws` errors, from `canary` of `total` requests. */
const hypergeometricPmf = (x: number, total: number, canary: number, draws: number) =>
  Math.exp(logChoose(canary, x) + logChoose(total - canary, draws - x) - logChoose(total, draws));

describe('logGamma', () => {
  it('matches known values', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(2)).toBeCloseTo(0, 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 10);
    // Stirling's series is accurate here, so it checks the large-argument end.
    const x = 1e6;
    const stirling = (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x);
    expect(logGamma(x)).toBeCloseTo(stirling, 4);
  });

  it('refuses numbers it is not defined for here', () => {
    expect(() => logGamma(0)).toThrow(RangeError);
    expect(() => logGamma(-1)).toThrow(RangeError);
  });
});

describe('binomialLogLRs (errors)', () => {
  it('is zero for an interval that says nothing: no errors, or a pool without requests', () => {
    const zeros = RATE_RATIOS.map(() => 0);
    expect(binomialLogLRs({ requests: 10, events: 0 }, { requests: 90, events: 0 })).toEqual(zeros);
    expect(binomialLogLRs({ requests: 0, events: 0 }, { requests: 90, events: 3 })).toEqual(zeros);
    expect(binomialLogLRs({ requests: 10, events: 2 }, { requests: 0, events: 0 })).toEqual(zeros);
  });

  it('grows with every error the canary has and stable has not', () => {
    const one = binomialLogLRs({ requests: 5, events: 1 }, { requests: 45, events: 0 });
    const two = binomialLogLRs({ requests: 5, events: 2 }, { requests: 45, events: 0 });
    for (const [i, value] of one.entries()) {
      expect(value).toBeGreaterThan(0);
      expect(two[i]!).toBeCloseTo(2 * value, 12);
    }
  });

  it('has expectation exactly 1 under the conditional binomial null, for every k', () => {
    const [canary, stable, errors] = [30, 170, 12];
    const pi0 = canary / (canary + stable);
    for (const [i] of RATE_RATIOS.entries()) {
      let expectation = 0;
      for (let x = 0; x <= errors; x++) {
        const ratio = binomialLogLRs(
          { requests: canary, events: x },
          { requests: stable, events: errors - x },
        )[i]!;
        expectation += binomialPmf(x, errors, pi0) * Math.exp(ratio);
      }
      expect(expectation).toBeCloseTo(1, 10);
    }
  });

  it('has expectation at most 1 when errors are drawn without replacement (the exact null)', () => {
    const [canary, stable, errors] = [8, 42, 20];
    for (const [i] of RATE_RATIOS.entries()) {
      let expectation = 0;
      for (let x = 0; x <= Math.min(errors, canary); x++) {
        const ratio = binomialLogLRs(
          { requests: canary, events: x },
          { requests: stable, events: errors - x },
        )[i]!;
        expectation += hypergeometricPmf(x, canary + stable, canary, errors) * Math.exp(ratio);
      }
      expect(expectation).toBeLessThanOrEqual(1 + 1e-12);
    }
  });
});

describe('exceedanceLogLRs (slow requests)', () => {
  it('is zero when either pool had no requests', () => {
    const zeros = RATE_RATIOS.map(() => 0);
    expect(exceedanceLogLRs({ requests: 0, events: 0 }, { requests: 50, events: 2 })).toEqual(
      zeros,
    );
    expect(exceedanceLogLRs({ requests: 10, events: 4 }, { requests: 0, events: 0 })).toEqual(
      zeros,
    );
  });

  it('has expectation exactly 1 under the exceedance null, for every k', () => {
    const [n, stableRequests, stableSlow] = [25, 60, 3];
    for (const [i] of RATE_RATIOS.entries()) {
      let expectation = 0;
      for (let x = 0; x <= n; x++) {
        const ratio = exceedanceLogLRs(
          { requests: n, events: x },
          { requests: stableRequests, events: stableSlow },
        )[i]!;
        expectation +=
          betaBinomialPmf(x, n, stableSlow + 1, stableRequests - stableSlow) * Math.exp(ratio);
      }
      expect(expectation).toBeCloseTo(1, 9);
    }
  });

  it('rises with the canary slow count (more slow requests are more evidence)', () => {
    const stable = { requests: 90, events: 4 };
    const values = [0, 1, 3, 6].map(
      (slow) => exceedanceLogLRs({ requests: 10, events: slow }, stable)[2]!,
    );
    expect(values[0]!).toBeLessThan(0);
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
  });

  it('stays finite when stable reports every request slow (clamped)', () => {
    const values = exceedanceLogLRs({ requests: 10, events: 10 }, { requests: 20, events: 20 });
    for (const value of values) expect(Number.isFinite(value)).toBe(true);
  });
});

describe('the mixture', () => {
  it('is the log of the average likelihood ratio over every component of every test', () => {
    const a = [Math.log(2), Math.log(4)];
    const b = [Math.log(6), 0];
    expect(logMixture([a, b])).toBeCloseTo(Math.log((2 + 4 + 6 + 1) / 4), 12);
    expect(logMixture([emptyLogLikelihoodRatios()])).toBe(0);
    expect(logMixture([])).toBe(0);
  });

  it('does not overflow with overwhelming evidence', () => {
    expect(logMixture([[5000, -5000]])).toBeCloseTo(5000 - Math.log(2), 9);
  });

  it('adds intervals component by component', () => {
    expect(addLogLRs([1, 2], [0.5, -1])).toEqual([1.5, 1]);
  });

  it('rejects at 1/(1 − confidence)', () => {
    expect(Math.exp(logRejectionThreshold(0.99))).toBeCloseTo(100, 9);
    expect(Math.exp(logRejectionThreshold(0.95))).toBeCloseTo(20, 9);
  });
});
