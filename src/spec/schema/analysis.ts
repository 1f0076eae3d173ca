/**
 * `analysis.templates:` — named checks a rollout runs: how often, how many
 * times, how many failures it tolerates, and the metrics it judges.
 */
import { z } from 'zod';
import { DEFAULT_ANALYSIS_TEMPLATE, DEFAULT_COMPARE_WITH_STABLE } from '../defaults.ts';
import {
  count,
  duration,
  exactlyOneOf,
  positiveCount,
  positiveDuration,
  whenValid,
} from './primitives.ts';

const ratio = z.number().min(0).max(1);
const atLeast = (what: string) =>
  z
    .strictObject({ min: z.number().optional(), max: z.number().optional() })
    .refine((value) => value.min !== undefined || value.max !== undefined, {
      error: `a ${what} needs a \`min\` or a \`max\` (or both) to judge against; add one.`,
      params: { specCode: 'SPEC_REQUIRED' },
    });

const latency = z.strictObject({ max: duration });


const CONFIDENCE_RANGE =
  'use a probability above 0.5 and below 1, like 0.99 (a healthy canary fails with a chance of at most 1 − confidence)';

/**
 * The canary against the stable pool over the same seconds, with a
 * sequential test (src/analysis/sequential-test.ts): it fails when the
 * canary's error rate, or its share of requests slower than stable's p95, is
 * worse than stable's beyond chance.
 */
const compareWithStable = z
  .strictObject({
    errorRate: z.boolean().default(DEFAULT_COMPARE_WITH_STABLE.errorRate),
    latency: z.boolean().default(DEFAULT_COMPARE_WITH_STABLE.latency),
    confidence: z
      .number()
      .gt(0.5, { error: (issue) => `${String(issue.input)} is too low; ${CONFIDENCE_RANGE}.` })
      .lt(1, { error: (issue) => `${String(issue.input)} is too high; ${CONFIDENCE_RANGE}.` })
      .default(DEFAULT_COMPARE_WITH_STABLE.confidence),
    /** Canary requests an interval needs before its measurement can pass. */
    minRequests: count.default(DEFAULT_COMPARE_WITH_STABLE.minRequests),
  })
  .refine((value) => value.errorRate || value.latency, {
    error:
      'a compareWithStable metric with both errorRate and latency off compares nothing; set one of them to true or remove the metric.',
    params: { specCode: 'SPEC_CONFLICT' },
    ...whenValid,
  });

export const metric = exactlyOneOf('metric', {
  /** Share of requests answered without a 5xx or a connect error, from the router's own counters. */
  successRate: z.strictObject({ min: ratio }),
  errorRate: z.strictObject({ max: ratio }),
  latencyP50: latency,
  latencyP95: latency,
  latencyP99: latency,
  /** Requests per second the pool receives; `min` catches a pool that gets no traffic. */
  requestRate: atLeast('requestRate metric'),
  prometheus: z
    .strictObject({
      query: z.string().min(1),
      min: z.number().optional(),
      max: z.number().optional(),
      address: z.url().optional(),
    })
    .refine((value) => value.min !== undefined || value.max !== undefined, {
      error: 'a prometheus metric needs a `min` or a `max` (or both) to judge the query against; add one.',
      params: { specCode: 'SPEC_REQUIRED' },
    }),
  /** Passes when the URL answers 2xx (Flagger-style), unless its JSON body says `"pass": false`. */
  webhook: z.strictObject({ url: z.url(), timeout: positiveDuration.optional() }),
  /** Passes when the command exits 0. */
  command: z.strictObject({ run: z.string().min(1), timeout: positiveDuration.optional() }),
  compareWithStable,
}, { remedy: 'give each its own list entry' });

export const analysisTemplate = z.strictObject({
  interval: positiveDuration.prefault(DEFAULT_ANALYSIS_TEMPLATE.interval),
  count: positiveCount.default(DEFAULT_ANALYSIS_TEMPLATE.count),
  failureLimit: count.default(DEFAULT_ANALYSIS_TEMPLATE.failureLimit),
  inconclusiveLimit: count.default(DEFAULT_ANALYSIS_TEMPLATE.inconclusiveLimit),
  consecutiveErrorLimit: count.default(DEFAULT_ANALYSIS_TEMPLATE.consecutiveErrorLimit),
  /** Fewer requests than this in an interval make the measurement inconclusive, not a pass. */
  minRequests: count.default(DEFAULT_ANALYSIS_TEMPLATE.minRequests),
  metrics: z.array(metric).min(1),
});

export const analysis = z.strictObject({
  templates: z.record(z.string().min(1), analysisTemplate),
});

/** `{ templates: [errors] }` wherever a strategy runs analysis. */
export const analysisRef = z.strictObject({
  templates: z.array(z.string().min(1)).min(1),
});

export type MetricSpec = z.output<typeof metric>;
export type CompareWithStableSpec = z.output<typeof compareWithStable>;
export type AnalysisTemplateSpec = z.output<typeof analysisTemplate>;
export type AnalysisSpec = z.output<typeof analysis>;
export type AnalysisRefSpec = z.output<typeof analysisRef>;
