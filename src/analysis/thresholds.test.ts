import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { metric as metricSchema } from '../spec/schema/analysis.ts';
import { measure, metricKind, numberText, percent } from './thresholds.ts';
import type { Observation, PoolSample } from './types.ts';

const NOW = 1_700_000_000_000;

function sample(overrides: Partial<PoolSample> = {}): PoolSample {
  return {
    requests: 200,
    errors: 1,
    slow: 0,
    p50: 20,
    p95: 80,
    p99: 150,
    rps: 20,
    seconds: 10,
    ...overrides,
  };
}

const window = (overrides: Partial<PoolSample> = {}): Observation => ({
  kind: 'window',
  sample: sample(overrides),
});

type MetricInput = z.input<typeof metricSchema>;

/** Judges a metric written as in the spec (through the schema, so durations are canonical). */
function judge(metric: MetricInput, observation: Observation, minRequests = 0) {
  return measure({
    metric: metricSchema.parse(metric),
    index: 2,
    observation,
    minRequests,
    now: NOW,
  });
}

describe('metricKind', () => {
  it('names the one key a metric holds', () => {
    expect(metricKind(metricSchema.parse({ latencyP99: { max: '300ms' } }))).toBe('latencyP99');
    expect(metricKind({ successRate: { min: 0.99 }, errorRate: undefined })).toBe('successRate');
  });

  it('refuses a metric with no kind or two', () => {
    expect(() => metricKind({})).toThrow(TypeError);
    expect(() => metricKind({ successRate: { min: 1 }, errorRate: { max: 0 } })).toThrow(TypeError);
  });
});

describe('router window metrics', () => {
  it('judges the success rate against its minimum', () => {
    const pass = judge({ successRate: { min: 0.99 } }, window({ requests: 200, errors: 2 }));
    expect(pass).toEqual({
      metric: 'successRate',
      index: 2,
      phase: 'successful',
      value: 0.99,
      message: 'Success rate 99% (198 of 200 requests) meets the minimum 99%.',
      at: NOW,
    });
    const fail = judge({ successRate: { min: 0.99 } }, window({ requests: 200, errors: 3 }));
    expect(fail.phase).toBe('failed');
    expect(fail.value).toBeCloseTo(0.985, 12);
    expect(fail.message).toBe('Success rate 98.5% (197 of 200 requests) is below the minimum 99%.');
  });

  it('judges the error rate against its maximum', () => {
    expect(judge({ errorRate: { max: 0.01 } }, window({ errors: 2 })).phase).toBe('successful');
    const fail = judge({ errorRate: { max: 0.01 } }, window({ errors: 3 }));
    expect(fail).toMatchObject({ phase: 'failed', value: 0.015 });
    expect(fail.message).toBe('Error rate 1.5% (3 of 200 requests) is above the maximum 1%.');
  });

  it('judges each latency percentile in milliseconds against its max duration', () => {
    const observation = window({ p50: 20, p95: 80, p99: 400 });
    expect(judge({ latencyP50: { max: '20ms' } }, observation)).toMatchObject({
      phase: 'successful',
      value: 20,
    });
    expect(judge({ latencyP95: { max: '79ms' } }, observation)).toMatchObject({
      phase: 'failed',
      value: 80,
    });
    const p99 = judge({ latencyP99: { max: '300ms' } }, observation);
    expect(p99).toMatchObject({ metric: 'latencyP99', phase: 'failed', value: 400 });
    expect(p99.message).toBe(
      'The p99 latency 400 ms over 200 requests is above the maximum 300ms.',
    );
    expect(judge({ latencyP99: { max: '1s' } }, observation).phase).toBe('successful');
  });

  it('is inconclusive, never a pass, with fewer requests than minRequests', () => {
    const few = judge({ successRate: { min: 0.5 } }, window({ requests: 19, errors: 0 }), 20);
    expect(few).toMatchObject({ phase: 'inconclusive', value: null });
    expect(few.message).toContain('fewer than the 20 minRequests asks for');
    expect(
      judge({ successRate: { min: 0.5 } }, window({ requests: 20, errors: 0 }), 20).phase,
    ).toBe('successful');
    expect(judge({ latencyP99: { max: '1s' } }, window({ requests: 3 }), 20).phase).toBe(
      'inconclusive',
    );
  });

  it('is inconclusive with no requests at all, even when minRequests is 0', () => {
    const none = { requests: 0, errors: 0, p50: null, p95: null, p99: null, rps: 0 };
    for (const metric of [
      { successRate: { min: 0 } },
      { errorRate: { max: 1 } },
      { latencyP50: { max: '1h' } },
    ] satisfies MetricInput[]) {
      const result = judge(metric, window(none), 0);
      expect(result.phase).toBe('inconclusive');
      expect(result.message).toMatch(/served no requests/);
    }
  });

  it('judges the request rate itself, so no traffic fails a `min`', () => {
    const none = window({ requests: 0, errors: 0, rps: 0, p50: null, p95: null, p99: null });
    expect(judge({ requestRate: { min: 1 } }, none, 20)).toMatchObject({
      phase: 'failed',
      value: 0,
    });
    expect(judge({ requestRate: { max: 5 } }, none, 20).phase).toBe('successful');
    expect(judge({ requestRate: { min: 1, max: 30 } }, window({ rps: 20 })).phase).toBe(
      'successful',
    );
    const busy = judge({ requestRate: { min: 1, max: 10 } }, window({ rps: 20 }));
    expect(busy.phase).toBe('failed');
    expect(busy.message).toBe(
      'The pool received 20 req/s (200 requests in 10 s), above the maximum 10 req/s.',
    );
  });
});

describe('prometheus values', () => {
  const metric = { prometheus: { query: 'up', min: 1, max: 5 } };
  const value = (v: number, detail = ''): Observation => ({ kind: 'value', value: v, detail });

  it('passes within the bounds and fails outside them', () => {
    expect(judge(metric, value(1)).phase).toBe('successful');
    expect(judge(metric, value(5)).phase).toBe('successful');
    expect(judge(metric, value(0.5)).phase).toBe('failed');
    const high = judge(metric, value(7, 'up{job="shop"}'));
    expect(high).toMatchObject({ phase: 'failed', value: 7 });
    expect(high.message).toBe('The query (up{job="shop"}) returned 7, above the maximum 5.');
  });

  it('judges one-sided bounds', () => {
    expect(judge({ prometheus: { query: 'q', max: 0.5 } }, value(-100)).phase).toBe('successful');
    expect(judge({ prometheus: { query: 'q', min: 0.5 } }, value(1e9)).phase).toBe('successful');
  });

  it('is inconclusive on NaN', () => {
    expect(judge(metric, value(Number.NaN))).toMatchObject({ phase: 'inconclusive', value: null });
  });

  it('fails on an infinite value but keeps the measurement JSON-safe', () => {
    const result = judge(metric, value(Number.POSITIVE_INFINITY));
    expect(result.phase).toBe('failed');
    expect(result.value).toBeNull();
    expect(result.message).toContain('Infinity');
  });
});

describe('webhook and command', () => {
  it('follows the pass the provider reported', () => {
    const ok = judge(
      { webhook: { url: 'https://checks.example/a' } },
      {
        kind: 'pass',
        pass: true,
        detail: 'HTTP 200.',
      },
    );
    expect(ok).toMatchObject({ metric: 'webhook', phase: 'successful', value: null });
    expect(ok.message).toBe('The webhook passed: HTTP 200.');
    const bad = judge({ command: { run: 'false' } }, { kind: 'pass', pass: false, detail: '' });
    expect(bad).toMatchObject({ metric: 'command', phase: 'failed' });
    expect(bad.message).toBe('The command did not pass.');
  });
});

describe('provider errors and mismatches', () => {
  it('turns an error observation into an Error measurement for any kind', () => {
    const result = judge(
      { prometheus: { query: 'up', max: 1 } },
      { kind: 'error', message: 'connect ECONNREFUSED 127.0.0.1:9090' },
    );
    expect(result).toMatchObject({ phase: 'error', value: null });
    expect(result.message).toBe(
      'The provider could not measure: connect ECONNREFUSED 127.0.0.1:9090.',
    );
  });

  it('is an Error, not a crash, when an observation does not fit the metric', () => {
    expect(
      judge({ successRate: { min: 0.9 } }, { kind: 'value', value: 1, detail: '' }).phase,
    ).toBe('error');
    expect(judge({ webhook: { url: 'https://x.example' } }, window()).phase).toBe('error');
    expect(judge({ compareWithStable: {} }, window()).phase).toBe('error');
  });
});

describe('every message is a sentence', () => {
  it('starts with a capital and ends with a period', () => {
    const results = [
      judge({ successRate: { min: 0.99 } }, window({ requests: 0, errors: 0, rps: 0 })),
      judge({ errorRate: { max: 0.01 } }, window(), 500),
      judge({ latencyP95: { max: '1s' } }, window({ p95: null })),
      judge({ requestRate: { min: 1 } }, window()),
      judge(
        { prometheus: { query: 'q', max: 1 } },
        { kind: 'value', value: Number.NaN, detail: 'x' },
      ),
      judge({ command: { run: 'true' } }, { kind: 'error', message: '' }),
    ];
    for (const result of results) expect(result.message).toMatch(/^[A-Z].*\.$/);
  });
});

describe('number formatting', () => {
  it('keeps three significant digits', () => {
    expect(percent(0.995)).toBe('99.5%');
    expect(percent(1)).toBe('100%');
    expect(percent(0.004)).toBe('0.4%');
    expect(numberText(123456)).toBe('123000');
    expect(numberText(0.0001234)).toBe('1.23e-4');
    expect(numberText(0)).toBe('0');
  });
});
