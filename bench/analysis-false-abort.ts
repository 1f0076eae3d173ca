/**
 * How often `compareWithStable` aborts a healthy canary, and how fast it
 * catches a bad one: a seeded simulation of the router's per-pool counters
 * fed through the real judge (startRun / judgeInterval). No I/O but printing.
 *
 * Traffic per interval is Poisson; each request goes to the canary with the
 * step's weight, fails with its pool's error rate, and takes a log-normal
 * latency (median 50 ms, σ 0.6) recorded in the router's own histogram
 * buckets. The provider's part is mirrored: the slow threshold is stable's
 * nearest-rank p95 over the same seconds plus the margin (slowThreshold), and `slow` counts the requests
 * whose bucket stands for more than it (as the router's window does).
 *
 *   npm exec -- node bench/analysis-false-abort.ts [--runs N] [--seed S]
 */
import { parseArgs } from 'node:util';
import {
  judgeInterval,
  startRun,
  type JudgedTemplate,
  type PoolSample,
} from '../src/analysis/index.ts';
import {
  LATENCY_BUCKET_COUNT,
  latencyBucketIndex,
  latencyBucketMillis,
  latencyQuantileMillis,
} from '../src/router/metrics/latency-histogram.ts';
import {
  addLogLRs,
  binomialLogLRs,
  emptyLogLikelihoodRatios,
  exceedanceLogLRs,
  logMixtureOf,
  logRejectionThreshold,
} from '../src/analysis/sequential-test.ts';
import { slowThreshold } from '../src/analysis/compare.ts';
import { analysisTemplate } from '../src/spec/schema/analysis.ts';
import { seededRandom } from '../test/support/seeded-random.ts';
import { upperBound95 } from './lib.ts';

const INTERVAL_SECONDS = 2;
const RUN_SECONDS = 120;
const INTERVALS = RUN_SECONDS / INTERVAL_SECONDS;
const MEDIAN_LATENCY_S = 0.05;
const LATENCY_SIGMA = 0.6;
const CONFIDENCE = 0.99;

/**
 * The template under test: compareWithStable with its defaults, measured
 * every 2 s for 2 minutes. inconclusiveLimit covers every interval, since at
 * 10% of 50 req/s an interval holds about 10 canary requests, fewer than the
 * 20 a pass needs; only failing matters here.
 */
const TEMPLATE: JudgedTemplate = analysisTemplate.parse({
  interval: `${INTERVAL_SECONDS}s`,
  count: INTERVALS,
  failureLimit: 0,
  inconclusiveLimit: INTERVALS,
  metrics: [{ compareWithStable: { confidence: CONFIDENCE } }],
});

interface Scenario {
  readonly name: string;
  readonly rps: number;
  /** The canary's share of requests at a second since the start. */
  readonly weightAt: (second: number) => number;
  readonly stableErrorRate: number;
  readonly canaryErrorRate: number;
  /** Every canary latency is the stable distribution's times this. */
  readonly canarySlowdown: number;
}

interface Outcome {
  /** Seconds of data when the run failed; null when it did not. */
  readonly failedAfter: number | null;
  readonly rejectedBy: 'errorRate' | 'latency' | null;
}

function poisson(next: () => number, mean: number): number {
  // Knuth's method; means here are at most a few hundred, well within a double's range.
  const limit = Math.exp(-mean);
  let count = 0;
  let product = next();
  while (product > limit) {
    count++;
    product *= next();
  }
  return count;
}

function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** One pool's interval as the router's window would report it. */
class PoolCounter {
  requests = 0;
  errors = 0;
  readonly latency = new Uint32Array(LATENCY_BUCKET_COUNT);

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.latency.fill(0);
  }

  record(failed: boolean, seconds: number): void {
    this.requests++;
    if (failed) this.errors++;
    this.latency[latencyBucketIndex(seconds)]!++;
  }

  /** Requests whose bucket stands for more than `thresholdMs` (the router's `slow`). */
  slowerThan(thresholdMs: number | null): number {
    if (thresholdMs === null) return 0;
    let slow = 0;
    for (let index = LATENCY_BUCKET_COUNT - 1; index >= 0; index--) {
      if (latencyBucketMillis(index) <= thresholdMs) break;
      slow += this.latency[index]!;
    }
    return slow;
  }

  sample(thresholdMs: number | null): PoolSample {
    const quantile = (q: number) => latencyQuantileMillis(this.latency, this.requests, q);
    return {
      requests: this.requests,
      errors: this.errors,
      slow: this.slowerThan(thresholdMs),
      p50: quantile(0.5),
      p95: quantile(0.95),
      p99: quantile(0.99),
      rps: this.requests / INTERVAL_SECONDS,
      seconds: INTERVAL_SECONDS,
    };
  }
}

/** One interval of traffic through both pools, as the provider would hand it to the judge. */
function simulateInterval(
  scenario: Scenario,
  options: { second: number; next: () => number; canary: PoolCounter; stable: PoolCounter },
): { canary: PoolSample; stable: PoolSample; slowThresholdMs: number | null } {
  const { canary, stable, next } = options;
  canary.reset();
  stable.reset();
  const weight = scenario.weightAt(options.second);
  const requests = poisson(next, scenario.rps * INTERVAL_SECONDS);
  for (let i = 0; i < requests; i++) {
    const toCanary = next() < weight;
    const errorRate = toCanary ? scenario.canaryErrorRate : scenario.stableErrorRate;
    const latency = MEDIAN_LATENCY_S * Math.exp(LATENCY_SIGMA * normal(next));
    (toCanary ? canary : stable).record(
      next() < errorRate,
      toCanary ? latency * scenario.canarySlowdown : latency,
    );
  }
  const p95 = latencyQuantileMillis(stable.latency, stable.requests, 0.95);
  const threshold = p95 === null ? null : slowThreshold(p95);
  return {
    canary: canary.sample(threshold),
    stable: stable.sample(threshold),
    slowThresholdMs: threshold,
  };
}

/** One canary's analysis run through the real judge: when (if ever) it failed, and why. */
function simulateRun(scenario: Scenario, next: () => number): Outcome {
  const pools = { canary: new PoolCounter(), stable: new PoolCounter() };
  let state = startRun({ template: 'compare', spec: TEMPLATE, background: false, now: 0 });
  for (let interval = 0; interval < INTERVALS; interval++) {
    const second = interval * INTERVAL_SECONDS;
    const observed = simulateInterval(scenario, { second, next, ...pools });
    const now = (second + INTERVAL_SECONDS) * 1000;
    state = judgeInterval({
      spec: TEMPLATE,
      state,
      now,
      observations: [{ kind: 'comparison', ...observed }],
    }).state;
    if (state.verdict === 'failed') {
      return {
        failedAfter: now / 1000,
        rejectedBy: state.metrics[0]?.comparison?.rejectedBy ?? null,
      };
    }
  }
  return { failedAfter: null, rejectedBy: null };
}

/**
 * Why the slow-request test is not a second binomial comparison: the
 * threshold is cut from stable's own requests, so stable's slow share is
 * about 5% by construction while a same-distribution canary's is a little
 * higher and more spread. Runs the slow-request test alone on healthy
 * canaries, both ways, and reports how often each would reject.
 */
function slowTestFalseRejections(
  scenario: Scenario,
  options: { runs: number; next: () => number },
): { exceedance: number; binomial: number } {
  const pools = { canary: new PoolCounter(), stable: new PoolCounter() };
  const threshold = logRejectionThreshold(CONFIDENCE);
  let exceedance = 0;
  let binomial = 0;
  for (let run = 0; run < options.runs; run++) {
    let exact = emptyLogLikelihoodRatios();
    let naive = emptyLogLikelihoodRatios();
    let [exactRejected, naiveRejected] = [false, false];
    for (let interval = 0; interval < INTERVALS; interval++) {
      const observed = simulateInterval(scenario, {
        second: interval * INTERVAL_SECONDS,
        next: options.next,
        ...pools,
      });
      if (observed.slowThresholdMs === null) continue;
      const canary = { requests: observed.canary.requests, events: observed.canary.slow };
      const stable = { requests: observed.stable.requests, events: observed.stable.slow };
      exact = addLogLRs(exact, exceedanceLogLRs(canary, stable));
      naive = addLogLRs(naive, binomialLogLRs(canary, stable));
      exactRejected ||= logMixtureOf(exact) >= threshold;
      naiveRejected ||= logMixtureOf(naive) >= threshold;
    }
    if (exactRejected) exceedance++;
    if (naiveRejected) binomial++;
  }
  return { exceedance, binomial };
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const pct = (value: number) => `${(value * 100).toFixed(2)}%`;

function healthy(rps: number): Scenario {
  return {
    name: `healthy, ${rps} req/s, 10% then 50%`,
    rps,
    weightAt: (second) => (second < RUN_SECONDS / 2 ? 0.1 : 0.5),
    stableErrorRate: 0.01,
    canaryErrorRate: 0.01,
    canarySlowdown: 1,
  };
}

function bad(options: {
  rps: number;
  weight: number;
  kind: 'errors' | 'latency' | 'subtle errors' | 'subtle latency';
}): Scenario {
  const { rps, weight, kind } = options;
  return {
    name: `${kind}, ${rps} req/s, ${weight * 100}%`,
    rps,
    weightAt: () => weight,
    stableErrorRate: 0.005,
    canaryErrorRate: kind === 'errors' ? 0.2 : kind === 'subtle errors' ? 0.02 : 0.005,
    canarySlowdown: kind === 'latency' ? 2 : kind === 'subtle latency' ? 1.25 : 1,
  };
}

function printHealthy(runs: number, next: () => number): void {
  console.log(
    '| healthy canary | runs | false aborts | rate | 95% upper bound | by errors / latency |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const rps of [50, 200]) {
    const scenario = healthy(rps);
    const outcomes = Array.from({ length: runs }, () => simulateRun(scenario, next));
    const aborted = outcomes.filter((outcome) => outcome.failedAfter !== null);
    const byErrors = aborted.filter((outcome) => outcome.rejectedBy === 'errorRate').length;
    console.log(
      `| ${scenario.name} | ${runs} | ${aborted.length} | ${pct(aborted.length / runs)} | ${pct(upperBound95(aborted.length, runs))} | ${byErrors} / ${aborted.length - byErrors} |`,
    );
  }
}

function printBad(runs: number, next: () => number): void {
  console.log('| bad canary | runs | detected in 2 min | median s | p95 s | max s |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const kind of ['errors', 'latency', 'subtle errors', 'subtle latency'] as const) {
    for (const rps of [50, 200]) {
      for (const weight of [0.1, 0.5]) {
        const scenario = bad({ rps, weight, kind });
        const outcomes = Array.from({ length: runs }, () => simulateRun(scenario, next));
        const seconds = outcomes
          .map((outcome) => outcome.failedAfter)
          .filter((value): value is number => value !== null)
          .sort((a, b) => a - b);
        // Undetected runs count as "later than 2 minutes" in the percentiles.
        const all = [...seconds, ...Array.from({ length: runs - seconds.length }, () => Infinity)];
        const show = (value: number | null) =>
          value === null ? '-' : Number.isFinite(value) ? String(value) : '>120';
        console.log(
          `| ${scenario.name} | ${runs} | ${pct(seconds.length / runs)} | ${show(quantile(all, 0.5))} | ${show(quantile(all, 0.95))} | ${show(all.at(-1) ?? null)} |`,
        );
      }
    }
  }
}

function printSlowTestNull(runs: number, next: () => number): void {
  console.log(
    '| slow-request test alone, healthy canary | runs | rejected: exceedance null (used) | rejected: two binomials |',
  );
  console.log('| --- | ---: | ---: | ---: |');
  for (const rps of [50, 200]) {
    for (const weight of [0.1, 0.5]) {
      const scenario = { ...healthy(rps), weightAt: () => weight };
      const { exceedance, binomial } = slowTestFalseRejections(scenario, { runs, next });
      console.log(
        `| ${rps} req/s, ${weight * 100}% | ${runs} | ${pct(exceedance / runs)} | ${pct(binomial / runs)} |`,
      );
    }
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '2000' },
      seed: { type: 'string', default: '20261121' },
    },
  });
  const runs = Number(values.runs);
  const next = seededRandom(Number(values.seed));
  console.log(
    `compareWithStable, confidence ${CONFIDENCE} (false-abort bound ${pct(1 - CONFIDENCE)}), ${INTERVAL_SECONDS} s intervals for ${RUN_SECONDS} s, seed ${values.seed}`,
  );
  console.log('');
  printHealthy(runs, next);
  console.log('');
  printBad(Math.max(1, Math.round(runs / 4)), next);
  console.log('');
  printSlowTestNull(Math.max(1, Math.round(runs / 4)), next);
}

main();
