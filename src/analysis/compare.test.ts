import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { specErrorOf } from '../../test/support/spec-error-of.ts';
import { parseSpec } from '../spec/index.ts';
import type { CompareWithStableSpec } from '../spec/schema/analysis.ts';
import {
  compareWithStable,
  evidenceOf,
  slowThreshold,
  startComparison,
  type ComparisonState,
} from './compare.ts';
import { addLogLRs, binomialLogLRs, emptyLogLikelihoodRatios } from './sequential-test.ts';
import type { Measurement, Observation, PoolSample } from './types.ts';

const DEFAULTS: CompareWithStableSpec = {
  errorRate: true,
  latency: true,
  confidence: 0.99,
  minRequests: 20,
};

function pool(requests: number, errors: number, slow = 0): PoolSample {
  return {
    requests,
    errors,
    slow,
    p50: requests ? 20 : null,
    p95: requests ? 80 : null,
    p99: requests ? 150 : null,
    rps: requests,
    seconds: 1,
  };
}

function comparison(canary: PoolSample, stable: PoolSample, slowThresholdMs: number | null = 80) {
  return { kind: 'comparison', canary, stable, slowThresholdMs } as const satisfies Observation;
}

/** Feeds observations one at a time; returns every measurement and the final state. */
function run(
  observations: readonly Observation[],
  options: {
    spec?: CompareWithStableSpec;
    templateMinRequests?: number;
    state?: ComparisonState;
  } = {},
) {
  const spec = options.spec ?? DEFAULTS;
  let state = options.state ?? startComparison(spec);
  const measurements: Measurement[] = [];
  for (const [i, observation] of observations.entries()) {
    const result = compareWithStable({
      spec,
      state,
      observation,
      index: 0,
      templateMinRequests: options.templateMinRequests ?? 0,
      now: (i + 1) * 1000,
    });
    measurements.push(result.measurement);
    state = result.state;
  }
  return { measurements, state };
}

const firstFailure = (measurements: readonly Measurement[]) =>
  measurements.findIndex((measurement) => measurement.phase === 'failed');

describe('compareWithStable rejects a bad canary fast', () => {
  it('fails a canary at 10% of 50 req/s with 20% errors, against a clean stable, within 5 s', () => {
    // 1 s intervals: the canary serves 5 requests with 1 error, stable 45 without.
    const second = comparison(pool(5, 1), pool(45, 0));
    const { measurements, state } = run(Array.from({ length: 20 }, () => second));
    const failedAt = firstFailure(measurements);
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(failedAt + 1).toBeLessThanOrEqual(5);
    expect(state.rejectedBy).toBe('errorRate');
    const failed = measurements[failedAt]!;
    expect(failed.value!).toBeGreaterThanOrEqual(100);
    expect(failed.message).toMatch(
      /^The canary's error rate, 20% \(\d+ of \d+ requests\), is worse than stable's 0%/,
    );
    expect(failed.message).toContain('99% confidence');
  });

  it('fails a canary whose every request is slower than stable’s p95 within 3 intervals', () => {
    const interval = comparison(pool(10, 0, 10), pool(90, 0, 4));
    const { measurements, state } = run(Array.from({ length: 10 }, () => interval));
    const failedAt = firstFailure(measurements);
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(failedAt + 1).toBeLessThanOrEqual(3);
    expect(state.rejectedBy).toBe('latency');
    expect(measurements[failedAt]!.message).toContain("slower than stable's p95");
  });

  it('stays failed once rejected, whatever comes next', () => {
    const bad = Array.from({ length: 5 }, () => comparison(pool(5, 5), pool(45, 0)));
    const { state } = run(bad);
    expect(state.rejectedBy).toBe('errorRate');
    const after = run([comparison(pool(100, 0), pool(100, 0))], { state });
    expect(after.measurements[0]!.phase).toBe('failed');
    expect(after.state).toBe(state);
  });

  it('decides on evidence even in an interval with fewer canary requests than a pass needs', () => {
    // 3 canary requests per interval, never enough to pass, and one of them fails each time.
    const { measurements } = run(
      Array.from({ length: 10 }, () => comparison(pool(3, 1), pool(97, 0))),
    );
    expect(measurements[0]!.phase).toBe('inconclusive');
    expect(firstFailure(measurements)).toBeGreaterThan(0);
  });
});

describe('compareWithStable passes a healthy canary', () => {
  it('is successful per interval once the canary served minRequests, inconclusive before', () => {
    const { measurements } = run([
      comparison(pool(19, 0, 1), pool(81, 1, 4)),
      comparison(pool(20, 0, 1), pool(80, 1, 4)),
    ]);
    expect(measurements.map((m) => m.phase)).toEqual(['inconclusive', 'successful']);
    expect(measurements[0]!.message).toContain('fewer than the 20 a comparison needs to pass');
    expect(measurements[1]!.message).toMatch(
      /^The canary is no worse than stable beyond chance so far/,
    );
    expect(measurements[1]!.value!).toBeLessThan(100);
  });

  it("uses the template's minRequests when it asks for more", () => {
    const { measurements } = run([comparison(pool(30, 0), pool(70, 0))], {
      templateMinRequests: 50,
    });
    expect(measurements[0]!.phase).toBe('inconclusive');
    expect(measurements[0]!.message).toContain('fewer than the 50');
  });

  it('is inconclusive when the canary served nothing, even with minRequests 0', () => {
    const spec = { ...DEFAULTS, minRequests: 0 };
    const { measurements } = run([comparison(pool(0, 0), pool(100, 1))], { spec });
    expect(measurements[0]!.phase).toBe('inconclusive');
  });

  it('does not reject equal rates in 500 seeded healthy runs beyond the 1% bound', () => {
    const next = seededRandom(42);
    let rejected = 0;
    for (let i = 0; i < 500; i++) {
      // 50 req/s, 2 s intervals, 2% errors in both pools; the canary gets 10%, then 50%.
      const observations = Array.from({ length: 30 }, (_, interval) =>
        healthyInterval(next, {
          requests: 100,
          weight: interval < 15 ? 0.1 : 0.5,
          errorRate: 0.02,
        }),
      );
      if (run(observations).state.rejectedBy !== null) rejected++;
    }
    expect(rejected).toBeLessThanOrEqual(500 * (1 - DEFAULTS.confidence));
  });
});

describe('compareWithStable across weight changes', () => {
  it('adds each interval with its own traffic split', () => {
    const a = comparison(pool(10, 1), pool(90, 2));
    const b = comparison(pool(50, 3), pool(50, 1));
    const { state } = run([a, b]);
    const expected = addLogLRs(
      addLogLRs(
        emptyLogLikelihoodRatios(),
        binomialLogLRs({ requests: 10, events: 1 }, { requests: 90, events: 2 }),
      ),
      binomialLogLRs({ requests: 50, events: 3 }, { requests: 50, events: 1 }),
    );
    expect(state.errorRate).toEqual(expected);
    expect(state.canary).toEqual({ requests: 60, errors: 4, slow: 0 });
    expect(state.stable).toEqual({ requests: 140, errors: 3, slow: 0 });
  });

  it('is not fooled when an incident hits both pools after the canary got more traffic', () => {
    // 1% errors in both pools at 10%; then 20% in both at 50%. Pooled, the
    // canary looks twice as bad (16.8% against 7.8%); interval by interval
    // it is exactly as good as stable.
    const steps = [
      comparison(pool(100, 1), pool(900, 9)),
      comparison(pool(500, 100), pool(500, 100)),
    ];
    const errorsOnly = { ...DEFAULTS, latency: false };
    expect(run(steps, { spec: errorsOnly }).state.rejectedBy).toBeNull();
    const pooled = comparison(pool(600, 101), pool(1400, 109));
    expect(run([pooled], { spec: errorsOnly }).state.rejectedBy).toBe('errorRate');
  });
});

describe('compareWithStable without a comparison to make', () => {
  it('is inconclusive with no stable traffic, and leaves the evidence alone', () => {
    const start = startComparison(DEFAULTS);
    const { measurements, state } = run([comparison(pool(50, 10), pool(0, 0), null)]);
    expect(measurements[0]!.phase).toBe('inconclusive');
    expect(measurements[0]!.message).toBe(
      'The stable pool served no requests in this interval, so the canary cannot be compared with it.',
    );
    expect(state).toEqual(start);
  });

  it('leaves the latency test alone when there is no slow threshold', () => {
    const { state } = run([comparison(pool(10, 0, 10), pool(90, 0, 0), null)]);
    expect(state.latency).toEqual(emptyLogLikelihoodRatios());
    expect(state.canary.slow).toBe(0);
  });

  it('turns a provider error into an Error measurement and keeps the evidence', () => {
    const { state } = run([comparison(pool(20, 1), pool(80, 1))]);
    const { measurements, state: after } = run([{ kind: 'error', message: 'router unreachable' }], {
      state,
    });
    expect(measurements[0]).toMatchObject({ phase: 'error', value: null });
    expect(measurements[0]!.message).toBe('The provider could not measure: router unreachable.');
    expect(after).toBe(state);
  });

  it('is an Error for an observation that is not a comparison', () => {
    const { measurements } = run([{ kind: 'value', value: 1, detail: '' }]);
    expect(measurements[0]!.phase).toBe('error');
  });
});

describe('compareWithStable options', () => {
  it('tests only what is switched on', () => {
    const latencyOnly = { ...DEFAULTS, errorRate: false };
    const broken = Array.from({ length: 10 }, () => comparison(pool(20, 20, 1), pool(80, 0, 4)));
    const { state } = run(broken, { spec: latencyOnly });
    expect(state.errorRate).toBeNull();
    expect(state.rejectedBy).toBeNull();
    const errorsOnly = { ...DEFAULTS, latency: false };
    expect(run(broken, { spec: errorsOnly }).state.rejectedBy).toBe('errorRate');
  });

  it('needs more evidence at a higher confidence', () => {
    const interval = comparison(pool(10, 1), pool(90, 0));
    const intervals = Array.from({ length: 30 }, () => interval);
    const at = (confidence: number) =>
      firstFailure(run(intervals, { spec: { ...DEFAULTS, confidence } }).measurements);
    expect(at(0.9)).toBeGreaterThanOrEqual(0);
    expect(at(0.999)).toBeGreaterThan(at(0.9));
  });
});

describe('the comparison state', () => {
  it('survives a JSON round trip and goes on the same from it', () => {
    const next = seededRandom(7);
    const first = Array.from({ length: 5 }, () =>
      healthyInterval(next, { requests: 200, weight: 0.3, errorRate: 0.05 }),
    );
    const later = Array.from({ length: 5 }, () =>
      healthyInterval(next, { requests: 200, weight: 0.3, errorRate: 0.05 }),
    );
    const { state } = run(first);
    const copy = JSON.parse(JSON.stringify(state)) as ComparisonState;
    expect(copy).toEqual(state);
    expect(run(later, { state: copy })).toEqual(run(later, { state }));
    expect(evidenceOf(copy)).toBe(evidenceOf(state));
  });
});

describe('the compareWithStable metric in the spec', () => {
  const spec = (metric: string) => `service: shop
runtime: { type: process, command: "node server.js" }
router: { listen: 8080 }
analysis:
  templates:
    canary:
      metrics:
        - ${metric}
`;

  it('fills in its defaults', () => {
    const resolved = parseSpec({
      text: spec('compareWithStable: {}'),
      file: 'switchyard.yaml',
      env: {},
    });
    expect(resolved.analysis.templates.canary!.metrics[0]).toEqual({ compareWithStable: DEFAULTS });
  });

  it('takes a confidence strictly between 0.5 and 1', () => {
    const parse = (confidence: number) =>
      parseSpec({
        text: spec(`compareWithStable: { confidence: ${confidence} }`),
        file: 'f.yaml',
        env: {},
      });
    expect(parse(0.51).analysis.templates.canary!.metrics[0]).toMatchObject({
      compareWithStable: { confidence: 0.51 },
    });
    for (const bad of [0.5, 1, 99]) {
      const issues = specErrorOf(() => parse(bad)).issues;
      expect(issues.map((issue) => [issue.code, issue.path])).toEqual([
        ['SPEC_INVALID_VALUE', 'analysis.templates.canary.metrics[0].compareWithStable.confidence'],
      ]);
    }
  });

  it('refuses an unknown option with a suggestion', () => {
    const issues = specErrorOf(() =>
      parseSpec({ text: spec('compareWithStable: { confidense: 0.9 }'), file: 'f.yaml', env: {} }),
    ).issues;
    expect(issues.map((issue) => issue.code)).toEqual(['SPEC_UNKNOWN_KEY']);
    expect(issues[0]!.message).toContain('did you mean "confidence"?');
  });
});

/**
 * One interval of a canary exactly like stable: the same error rate, and
 * latencies from one continuous distribution (uniform will do: only their
 * order matters), with the slow threshold cut at stable's nearest-rank p95
 * as the provider does.
 */
function healthyInterval(
  next: () => number,
  options: { requests: number; weight: number; errorRate: number },
): Observation {
  const canary: number[] = [];
  const stable: number[] = [];
  for (let i = 0; i < options.requests; i++)
    (next() < options.weight ? canary : stable).push(next());
  const errors = (count: number) =>
    Array.from({ length: count }).filter(() => next() < options.errorRate).length;
  stable.sort((a, b) => a - b);
  const threshold =
    stable.length === 0 ? null : stable[Math.max(1, Math.ceil(0.95 * stable.length)) - 1]!;
  const slow = (values: number[]) =>
    threshold === null ? 0 : values.filter((value) => value > threshold).length;
  return comparison(
    pool(canary.length, errors(canary.length), slow(canary)),
    pool(stable.length, errors(stable.length), slow(stable)),
    threshold === null ? null : 100,
  );
}

describe('slowThreshold', () => {
  it('is 20% and 5 ms above stable p95, so a difference nobody notices is not slow', () => {
    expect(slowThreshold(2)).toBeCloseTo(7.4);
    expect(slowThreshold(100)).toBeCloseTo(125);
  });
});
