import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseSpec } from '../spec/index.ts';
import { analysisTemplate } from '../spec/schema/analysis.ts';
import {
  PENDING_RETRY_MS,
  combineVerdicts,
  judgeInterval,
  nextDueAt,
  startRun,
  stopRun,
  type AnalysisRunState,
  type JudgedTemplate,
} from './judge.ts';
import type { Measurement, Observation, PoolSample } from './types.ts';

const T0 = 1_700_000_000_000;
const INTERVAL_MS = 10_000;

/** A template as the resolved spec holds it: through the schema, with its defaults. */
function template(overrides: Partial<z.input<typeof analysisTemplate>> = {}): JudgedTemplate {
  return analysisTemplate.parse({
    interval: '10s',
    count: 3,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    minRequests: 0,
    metrics: [{ successRate: { min: 0.99 } }],
    ...overrides,
  });
}

function window(requests: number, errors: number): Observation {
  const sample: PoolSample = {
    requests,
    errors,
    slow: 0,
    p50: requests ? 20 : null,
    p95: requests ? 80 : null,
    p99: requests ? 150 : null,
    rps: requests / 10,
    seconds: 10,
  };
  return { kind: 'window', sample };
}

const GOOD = window(200, 0);
const BAD = window(200, 10);
const FEW = window(5, 0);
const ERROR: Observation = { kind: 'error', message: 'the router did not answer' };

/** Starts a run and judges one interval per entry (each a list of observations by metric). */
function drive(
  spec: JudgedTemplate,
  intervals: readonly (readonly Observation[])[],
  options: { background?: boolean; state?: AnalysisRunState } = {},
) {
  let state =
    options.state ??
    startRun({ template: 'errors', spec, background: options.background ?? false, now: T0 });
  const states: AnalysisRunState[] = [];
  const measurements: Measurement[][] = [];
  for (const observations of intervals) {
    const now = state.dueAt ?? (state.lastMeasuredAt ?? T0) + INTERVAL_MS;
    const result = judgeInterval({ spec, state, observations, now });
    state = result.state;
    states.push(state);
    measurements.push([...result.measurements]);
  }
  return { state, states, measurements, verdicts: states.map((s) => s.verdict) };
}

const repeat = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);

describe('startRun and nextDueAt', () => {
  it('takes the first measurement one interval after the start', () => {
    const state = startRun({ template: 'errors', spec: template(), background: false, now: T0 });
    expect(state).toMatchObject({
      template: 'errors',
      background: false,
      verdict: 'running',
      startedAt: T0,
      lastMeasuredAt: null,
      dueAt: T0 + INTERVAL_MS,
      endedAt: null,
    });
    expect(nextDueAt(state)).toBe(T0 + INTERVAL_MS);
    expect(state.metrics).toEqual([
      {
        metric: 'successRate',
        measurements: 0,
        successful: 0,
        failed: 0,
        inconclusive: 0,
        error: 0,
        consecutiveErrors: 0,
        last: null,
        comparison: null,
      },
    ]);
    expect(state.message).toBe(
      'Analysis "errors" takes its first measurement after one interval (10s).',
    );
  });

  it('schedules the next measurement one interval after the latest, however late it came', () => {
    const spec = template({ count: 5 });
    const state = startRun({ template: 'errors', spec, background: false, now: T0 });
    const late = T0 + 25_000;
    const { state: after, measurements } = judgeInterval({
      spec,
      state,
      observations: [GOOD],
      now: late,
    });
    expect(after.lastMeasuredAt).toBe(late);
    expect(nextDueAt(after)).toBe(late + INTERVAL_MS);
    expect(measurements).toEqual([
      expect.objectContaining({ metric: 'successRate', index: 0, phase: 'successful', at: late }),
    ]);
  });
});

describe('a pending observation', () => {
  const PENDING: Observation = { kind: 'pending', detail: 'no complete second yet' };

  it('judges nothing, counts nothing, and looks again shortly', () => {
    const spec = template({
      metrics: [{ successRate: { min: 0.99 } }, { errorRate: { max: 0.01 } }],
    });
    const start = startRun({ template: 'errors', spec, background: false, now: T0 });
    const now = T0 + INTERVAL_MS;
    const result = judgeInterval({ spec, state: start, observations: [GOOD, PENDING], now });
    expect(result.pending).toBe(true);
    expect(result.measurements).toEqual([]);
    expect(result.state).toEqual({ ...start, dueAt: now + PENDING_RETRY_MS });
  });

  it('is not held against the run: the next complete interval is judged as the first', () => {
    const spec = template({ count: 1 });
    const { verdicts, measurements } = drive(spec, [[PENDING], [PENDING], [GOOD]]);
    expect(verdicts).toEqual(['running', 'running', 'successful']);
    expect(measurements.map((m) => m.length)).toEqual([0, 0, 1]);
  });
});

describe('ending by count', () => {
  it('succeeds once every metric has `count` measurements', () => {
    const spec = template({
      metrics: [{ successRate: { min: 0.99 } }, { latencyP99: { max: '300ms' } }],
    });
    const { verdicts, state } = drive(spec, repeat(3, [GOOD, GOOD]));
    expect(verdicts).toEqual(['running', 'running', 'successful']);
    expect(nextDueAt(state)).toBeNull();
    expect(state.endedAt).toBe(T0 + 3 * INTERVAL_MS);
    expect(state.message).toBe(
      'Analysis "errors" succeeded: 3 measurements of each of its 2 metrics, and all of them passed.',
    );
    expect(state.metrics.map((metric) => metric.successful)).toEqual([3, 3]);
  });

  it('says how far a running run is, with its most telling measurement', () => {
    const spec = template({ count: 6, failureLimit: 2 });
    const { state } = drive(spec, [[GOOD], [BAD]]);
    expect(state.verdict).toBe('running');
    expect(state.message).toBe(
      'Analysis "errors" has measured 2 of 6 times; latest successRate: success rate 95% (190 of 200 requests) is below the minimum 99%.',
    );
  });

  it('fails a metric whose measurements all errored, instead of passing it', () => {
    const spec = template({ consecutiveErrorLimit: 10 });
    const { verdicts, state } = drive(spec, repeat(3, [ERROR]));
    expect(verdicts).toEqual(['running', 'running', 'failed']);
    expect(state.message).toBe(
      'Analysis "errors" failed: successRate could not be measured in any of its 3 measurements; latest: the provider could not measure: the router did not answer.',
    );
  });

  it('passes a metric that errored sometimes but was measured too', () => {
    const spec = template({ consecutiveErrorLimit: 10 });
    const { verdicts, state } = drive(spec, [[ERROR], [GOOD], [ERROR]]);
    expect(verdicts.at(-1)).toBe('successful');
    expect(state.message).toContain("2 did not pass, within the template's limits");
  });
});

describe('failureLimit', () => {
  it('fails the run on the first failure beyond the limit, not before', () => {
    const spec = template({ count: 10, failureLimit: 1 });
    const { verdicts, state } = drive(spec, [[BAD], [GOOD], [BAD]]);
    expect(verdicts).toEqual(['running', 'running', 'failed']);
    expect(state.metrics[0]!.failed).toBe(2);
    expect(state.message).toBe(
      'Analysis "errors" failed: successRate failed 2 times, more than the failureLimit of 1; latest: success rate 95% (190 of 200 requests) is below the minimum 99%.',
    );
  });

  it('fails at once with the default limit of 0', () => {
    expect(drive(template(), [[BAD]]).verdicts).toEqual(['failed']);
  });

  it('tolerates failures within the limit to the end', () => {
    const spec = template({ failureLimit: 2 });
    expect(drive(spec, [[BAD], [BAD], [GOOD]]).verdicts).toEqual([
      'running',
      'running',
      'successful',
    ]);
  });
});

describe('inconclusiveLimit', () => {
  it('ends the run inconclusive beyond the limit', () => {
    const spec = template({ count: 10, inconclusiveLimit: 1, minRequests: 20 });
    const { verdicts, state } = drive(spec, [[FEW], [GOOD], [FEW]]);
    expect(verdicts).toEqual(['running', 'running', 'inconclusive']);
    expect(state.message).toMatch(
      /^Analysis "errors" is inconclusive: successRate was inconclusive 2 times, more than the inconclusiveLimit of 1; latest: the pool served 5 requests/,
    );
    expect(nextDueAt(state)).toBeNull();
  });

  it('treats too little traffic as inconclusive, never as a pass', () => {
    const spec = template({ minRequests: 20 });
    expect(drive(spec, [[FEW]]).verdicts).toEqual(['inconclusive']);
    expect(drive(template(), [[window(0, 0)]]).verdicts).toEqual(['inconclusive']);
  });

  it('lets a failure in the same interval win over an inconclusive', () => {
    const spec = template({
      minRequests: 20,
      metrics: [{ latencyP99: { max: '1s' } }, { successRate: { min: 0.99 } }],
    });
    const { state } = drive(spec, [[FEW, BAD]]);
    expect(state.verdict).toBe('failed');
    expect(state.message).toContain('successRate failed 1 time');
  });
});

describe('consecutiveErrorLimit', () => {
  it('fails only when errors in a row exceed the limit; a measurement in between resets the streak', () => {
    const spec = template({ count: 20, consecutiveErrorLimit: 2 });
    const { verdicts, state } = drive(spec, [[ERROR], [ERROR], [GOOD], [ERROR], [ERROR], [ERROR]]);
    expect(verdicts).toEqual(['running', 'running', 'running', 'running', 'running', 'failed']);
    expect(state.metrics[0]).toMatchObject({ error: 5, consecutiveErrors: 3, successful: 1 });
    expect(state.message).toBe(
      'Analysis "errors" failed: successRate could not be measured 3 times in a row, more than the consecutiveErrorLimit of 2; latest: the provider could not measure: the router did not answer.',
    );
  });

  it('fails on the first error with a limit of 0', () => {
    expect(drive(template({ consecutiveErrorLimit: 0 }), [[ERROR]]).verdicts).toEqual(['failed']);
  });
});

describe('background runs', () => {
  it('ignore count and measure until stopped, then end successful', () => {
    const spec = template({ count: 2 });
    const { verdicts, state } = drive(spec, repeat(5, [GOOD]), { background: true });
    expect(verdicts).toEqual(repeat(5, 'running'));
    expect(state.message).toMatch(/^Analysis "errors" has measured 5 times; latest successRate:/);
    const stopped = stopRun(state, T0 + 60_000);
    expect(stopped).toMatchObject({ verdict: 'successful', endedAt: T0 + 60_000, dueAt: null });
    expect(nextDueAt(stopped)).toBeNull();
    expect(stopped.message).toBe(
      'Analysis "errors" was stopped after 5 measurements, none of its metrics beyond its limits.',
    );
  });

  it('still fail on a failure beyond the limit', () => {
    const spec = template({ count: 2, failureLimit: 1 });
    const { verdicts } = drive(spec, [[GOOD], [GOOD], [BAD], [GOOD], [BAD]], { background: true });
    expect(verdicts).toEqual(['running', 'running', 'running', 'running', 'failed']);
  });

  it('keep a bounded state however long they run', () => {
    const spec = template({
      metrics: [{ successRate: { min: 0.99 } }, { compareWithStable: {} }],
    });
    const comparison: Observation = {
      kind: 'comparison',
      canary: (GOOD as { sample: PoolSample }).sample,
      stable: (GOOD as { sample: PoolSample }).sample,
      slowThresholdMs: 80,
    };
    const short = drive(spec, repeat(10, [GOOD, comparison]), { background: true }).state;
    const long = drive(spec, repeat(1000, [GOOD, comparison]), { background: true }).state;
    expect(long.verdict).toBe('running');
    expect(JSON.stringify(long).length).toBeLessThan(JSON.stringify(short).length + 200);
  });
});

describe('stopRun', () => {
  it('leaves an ended run as it is', () => {
    const { state } = drive(template(), [[BAD]]);
    expect(stopRun(state, T0 + 99_000)).toBe(state);
  });

  it('ends a run stopped before its first measurement successful', () => {
    const state = startRun({ template: 'errors', spec: template(), background: true, now: T0 });
    const stopped = stopRun(state, T0 + 1);
    expect(stopped.verdict).toBe('successful');
    expect(stopped.message).toBe('Analysis "errors" was stopped before its first measurement.');
  });

  it('fails a run stopped when a metric has only ever errored', () => {
    const { state } = drive(template({ count: 5 }), [[ERROR], [ERROR]], { background: true });
    const stopped = stopRun(state, T0 + 30_000);
    expect(stopped.verdict).toBe('failed');
    expect(stopped.message).toContain(
      'could not be measured in any of its 2 measurements before it was stopped',
    );
  });
});

describe('compareWithStable in a run', () => {
  it('fails the run as soon as the test rejects, whatever the failureLimit', () => {
    const spec = template({
      interval: '1s',
      count: 60,
      failureLimit: 5,
      metrics: [
        { compareWithStable: { errorRate: true, latency: true, confidence: 0.99, minRequests: 1 } },
      ],
    });
    const broken: Observation = {
      kind: 'comparison',
      canary: { ...(window(5, 5) as { sample: PoolSample }).sample, seconds: 1 },
      stable: { ...(window(45, 0) as { sample: PoolSample }).sample, seconds: 1 },
      slowThresholdMs: 80,
    };
    const { verdicts, state, measurements } = drive(spec, repeat(10, [broken]));
    const failedAt = verdicts.indexOf('failed');
    expect(failedAt).toBeGreaterThanOrEqual(0);
    expect(failedAt).toBeLessThan(3);
    expect(measurements.flat().filter((m) => m.phase === 'failed')).toHaveLength(1);
    expect(state.metrics[0]!.comparison!.rejectedBy).toBe('errorRate');
    expect(state.message).toMatch(/^Analysis "errors" failed: the canary's error rate, 100%/);
  });
});

describe('compareWithStable with thin traffic', () => {
  const spec = template({
    interval: '1s',
    count: 3,
    inconclusiveLimit: 0,
    metrics: [{ compareWithStable: {} }],
  });
  function pools(canary: number, stable: number): Observation {
    return {
      kind: 'comparison',
      canary: { ...(window(canary, 0) as { sample: PoolSample }).sample, seconds: 1 },
      stable: { ...(window(stable, 0) as { sample: PoolSample }).sample, seconds: 1 },
      slowThresholdMs: 101,
    };
  }

  it('does not end a background run on a thin first interval: the evidence keeps accumulating', () => {
    const { verdicts, measurements } = drive(
      spec,
      [[pools(3, 40)], [pools(0, 0)], [pools(30, 120)]],
      {
        background: true,
      },
    );
    expect(verdicts).toEqual(['running', 'running', 'running']);
    expect(measurements.flat().map((m) => m.phase)).toEqual([
      'inconclusive',
      'inconclusive',
      'successful',
    ]);
  });

  it('counts canary requests over the whole run toward minRequests', () => {
    const { verdicts } = drive(spec, [[pools(8, 40)], [pools(8, 40)], [pools(8, 40)]]);
    expect(verdicts).toEqual(['running', 'running', 'successful']);
  });

  it('ends an inline run inconclusive at its count when the canary never had enough traffic', () => {
    const { verdicts, state } = drive(spec, [[pools(2, 40)], [pools(2, 40)], [pools(2, 40)]]);
    expect(verdicts).toEqual(['running', 'running', 'inconclusive']);
    expect(state.message).toContain('could not judge the canary in 3 measurements');
  });
});

describe('judgeInterval guards', () => {
  it('changes nothing for a run that has ended', () => {
    const { state } = drive(template(), [[BAD]]);
    const again = judgeInterval({
      spec: template(),
      state,
      observations: [GOOD],
      now: T0 + 99_000,
    });
    expect(again.state).toBe(state);
    expect(again.measurements).toEqual([]);
  });

  it('refuses observations that do not match the metrics', () => {
    const spec = template();
    const state = startRun({ template: 'errors', spec, background: false, now: T0 });
    expect(() => judgeInterval({ spec, state, observations: [GOOD, GOOD], now: T0 })).toThrow(
      RangeError,
    );
  });

  it('names a metric by its index when the template has two of its kind', () => {
    const spec = template({
      metrics: [{ latencyP99: { max: '1s' } }, { latencyP99: { max: '100ms' } }],
    });
    const { state } = drive(spec, [[GOOD, GOOD]]);
    expect(state.message).toContain('latencyP99 (metrics[1]) failed 1 time');
  });
});

describe('the run state', () => {
  it('survives a JSON round trip and goes on the same from it', () => {
    const spec = template({
      count: 8,
      failureLimit: 3,
      inconclusiveLimit: 3,
      minRequests: 20,
      metrics: [{ successRate: { min: 0.99 } }, { compareWithStable: {} }],
    });
    const comparison: Observation = {
      kind: 'comparison',
      canary: (window(40, 1) as { sample: PoolSample }).sample,
      stable: (window(160, 2) as { sample: PoolSample }).sample,
      slowThresholdMs: 80,
    };
    const { state } = drive(spec, [
      [GOOD, comparison],
      [BAD, comparison],
      [FEW, ERROR],
    ]);
    const copy = JSON.parse(JSON.stringify(state)) as AnalysisRunState;
    expect(copy).toEqual(state);
    const rest = [
      [GOOD, comparison],
      [ERROR, comparison],
    ];
    expect(drive(spec, rest, { state: copy }).states).toEqual(drive(spec, rest, { state }).states);
  });

  it('starts from a template of a resolved spec', () => {
    const text = `service: shop
runtime: { type: process, command: "node server.js" }
router: { listen: 8080 }
analysis:
  templates:
    errors:
      interval: 5s
      metrics:
        - successRate: { min: 0.99 }
        - latencyP99: { max: 300ms }
`;
    const spec = parseSpec({ text, file: 'switchyard.yaml', env: {} }).analysis.templates.errors!;
    const state = startRun({ template: 'errors', spec, background: false, now: T0 });
    expect(state.metrics.map((metric) => metric.metric)).toEqual(['successRate', 'latencyP99']);
    expect(nextDueAt(state)).toBe(T0 + 5_000);
    const { state: after } = judgeInterval({
      spec,
      state,
      observations: [GOOD, GOOD],
      now: T0 + 5_000,
    });
    expect(after.metrics.map((metric) => metric.last?.phase)).toEqual(['successful', 'successful']);
  });
});

describe('combineVerdicts', () => {
  const run = (verdict: AnalysisRunState['verdict'], message: string) => ({ verdict, message });

  it('fails as soon as one run failed', () => {
    expect(
      combineVerdicts([
        run('running', 'A runs.'),
        run('inconclusive', 'B unsure.'),
        run('failed', 'C failed.'),
      ]),
    ).toEqual({ verdict: 'failed', message: 'C failed.' });
  });

  it('is inconclusive when one is and none failed', () => {
    expect(combineVerdicts([run('successful', 'A ok.'), run('inconclusive', 'B unsure.')])).toEqual(
      {
        verdict: 'inconclusive',
        message: 'B unsure.',
      },
    );
  });

  it('succeeds when all succeeded', () => {
    expect(combineVerdicts([run('successful', 'A ok.'), run('successful', 'B ok.')])).toEqual({
      verdict: 'successful',
      message: 'All 2 analysis runs succeeded.',
    });
    expect(combineVerdicts([run('successful', 'A ok.')])).toEqual({
      verdict: 'successful',
      message: 'A ok.',
    });
  });

  it('is running otherwise', () => {
    expect(
      combineVerdicts([
        run('successful', 'A ok.'),
        run('running', 'Analysis "b" has measured 1 of 3 times.'),
      ]),
    ).toEqual({
      verdict: 'running',
      message: '1 of 2 analysis runs have succeeded; analysis "b" has measured 1 of 3 times.',
    });
  });
});
