/**
 * What the canary system tests deploy and check, with processes
 * (controller-canary.test.ts) or containers (containers-canary.test.ts):
 * analysis templates by name, how a promoted or an aborted canary must look
 * to the store and to the clients, and the load's failures that are not the
 * canary's own.
 */
import { expect } from 'vitest';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { Reason } from '../../src/rollout/reasons.ts';
import type { WorldSpecOptions } from '../support/world-spec.ts';
import { expectOnly } from './controller-harness.ts';
import type { RolloutQueries } from './controller-harness.ts';

const TEMPLATES = {
  errors: '{ interval: 1s, count: 2, metrics: [ { successRate: { min: 0.95 } } ] }',
  latency: '{ interval: 1s, count: 3, metrics: [ { latencyP99: { max: 250ms } } ] }',
  vsStable: '{ interval: 1s, count: 1, metrics: [ { compareWithStable: {} } ] }',
} as const;

export type TemplateName = keyof typeof TEMPLATES;

export interface CanarySpecOptions {
  readonly strategy: string;
  /** The templates the spec declares under `analysis.templates`, in this order. */
  readonly templates: readonly TemplateName[];
  /** The inside of an `env: { … }` line, e.g. `FAIL_RATE: "0.2"`; none when empty. */
  readonly env?: string;
}

/** A world's spec options for a canary: its strategy, the named templates and the env. */
export function canarySpecOptions(options: CanarySpecOptions): WorldSpecOptions {
  const env = options.env ?? '';
  return {
    strategy: options.strategy,
    extra: [
      'analysis:',
      '  templates:',
      ...options.templates.map((name) => `    ${name}: ${TEMPLATES[name]}`),
      env === '' ? '' : `env: { ${env} }`,
    ].join('\n'),
  };
}

/** Failures of the load other than the app's own 500s from `version`. */
export function otherFailures(load: LoadRun, version: string): string[] {
  return load.snapshot().failures.filter((failure) => failure !== `HTTP 500 from ${version}`);
}

/** A canary rollout under load, in either world. */
export interface CanaryRun {
  readonly world: RolloutQueries;
  readonly load: LoadRun;
  readonly id: number;
}

/**
 * The canary went all the way: the rollout succeeded with all traffic on
 * its pool (green), clients are answered by `version` only, and not one
 * request failed.
 */
export async function expectPromoted(run: CanaryRun, version: string): Promise<void> {
  const done = await run.world.finished(run.id);
  expect(done.status).toBe('succeeded');
  expect(done.weights).toEqual([{ pool: 'green', weight: 100 }]);
  expect(await expectOnly(run.load, version)).toEqual({ [version]: expect.any(Number) });
  expect(run.load.snapshot().failed).toBe(0);
}

/**
 * Analysis failed the canary, the rollout's message saying `because`, and
 * clients are answered by `stable` only again.
 */
export async function expectAbortedByAnalysis(
  run: CanaryRun,
  expected: { readonly because: RegExp; readonly stable: string },
): Promise<void> {
  const done = await run.world.finished(run.id);
  expect(done.status).toBe('failed');
  expect(done.reason).toBe(Reason.AnalysisFailed);
  expect(done.message).toMatch(expected.because);
  expect(await expectOnly(run.load, expected.stable)).toEqual({
    [expected.stable]: expect.any(Number),
  });
}
