import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_CHECK, DEFAULT_ROLLING } from './defaults.ts';
import { loadSpec, parseSpec } from './load.ts';
import { effectiveStrategy, PRESETS } from './presets.ts';
import { pauseMs } from './schema/strategy.ts';
import type { SpecError } from './spec-error.ts';
import { formatIssue, isSpecError } from './spec-error.ts';

const MINIMAL =
  'service: shop\nruntime: { type: process, command: "node server.js" }\nrouter: { listen: 8080 }\n';

function specErrorOf(run: () => unknown): SpecError {
  try {
    run();
  } catch (error) {
    if (isSpecError(error)) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('parseSpec', () => {
  it('fills in every default from defaults.ts', () => {
    const spec = parseSpec({ text: MINIMAL, file: 'switchyard.yaml', env: {} });
    expect(spec.healthCheck).toEqual(DEFAULT_HEALTH_CHECK);
    expect(spec.strategy).toEqual({ rolling: DEFAULT_ROLLING });
    expect(spec).toMatchObject({
      port: 3000,
      replicas: 1,
      environment: 'default',
      env: {},
      secrets: [],
    });
    expect(spec.router).toEqual({ listen: 8080, drainTimeout: '30s' });
  });

  it('writes durations canonically in the resolved spec', () => {
    const spec = parseSpec({
      text: MINIMAL + 'healthCheck: { interval: 1000ms, timeout: 500ms, startupTimeout: 90s }\n',
      file: 'f',
      env: {},
    });
    expect(spec.healthCheck).toMatchObject({ interval: '1s', startupTimeout: '1m30s' });
  });

  it('overlays the chosen environment and names it', () => {
    const text =
      MINIMAL +
      'replicas: 3\nenv: { LOG_LEVEL: info, REGION: eu }\nsecrets: [DB]\nenvironments:\n  beta: { replicas: 1, env: { LOG_LEVEL: debug }, secrets: [DB, TOKEN] }\n';
    const beta = parseSpec({ text, file: 'f', env: {}, environment: 'beta' });
    expect(beta).toMatchObject({
      environment: 'beta',
      replicas: 1,
      env: { LOG_LEVEL: 'debug', REGION: 'eu' },
      secrets: ['DB', 'TOKEN'],
    });
    expect(beta).not.toHaveProperty('environments');
    expect(parseSpec({ text, file: 'f', env: {} })).toMatchObject({
      environment: 'default',
      replicas: 3,
    });
  });

  it('lists the defined environments when --env names another', () => {
    const error = specErrorOf(() =>
      parseSpec({
        text: MINIMAL + 'environments:\n  beta: {}\n  live: {}\n',
        file: 'f',
        env: {},
        environment: 'bta',
      }),
    );
    expect(error.issues.map((issue) => issue.code)).toEqual(['SPEC_UNKNOWN_ENVIRONMENT']);
    expect(error.issues[0]?.message).toContain('did you mean beta?');
    expect(error.issues[0]?.message).toContain('beta or live');
  });

  it('reports every error at once, in file order, as file:line:col path: message', () => {
    const text = [
      'service: shop',
      'runtime: { type: process }',
      'replicas: 0',
      'router: { listen: 8080, preview: 8080 }',
      'strategy:',
      '  canary:',
      '    steps:',
      '      - setWeight: 10',
      '      - pause: 30 seconds',
      '',
    ].join('\n');
    const error = specErrorOf(() => parseSpec({ text, file: 'switchyard.yaml', env: {} }));
    expect(error.code).toBe('SPEC_REQUIRED');
    expect(error.exitCode).toBe(2);
    expect(error.issues.map((issue) => [issue.code, issue.path, issue.line, issue.column])).toEqual(
      [
        ['SPEC_REQUIRED', 'runtime.command', 2, 10],
        ['SPEC_INVALID_VALUE', 'replicas', 3, 11],
        ['SPEC_CONFLICT', 'router.preview', 4, 34],
        ['SPEC_INVALID_DURATION', 'strategy.canary.steps[1].pause', 9, 16],
      ],
    );
    expect(error.details.at(-1)).toBe(
      'switchyard.yaml:9:16 strategy.canary.steps[1].pause: "30 seconds" is not a duration; write it like 500ms, 30s, 5m or 1h.',
    );
    expect(error.details).toEqual(error.issues.map(formatIssue));
    expect(error.message).toBe('switchyard.yaml has 4 errors; fix them and run again.');
  });

  it('suggests the key meant for a near miss', () => {
    const error = specErrorOf(() =>
      parseSpec({ text: MINIMAL + 'healthChek: {}\n', file: 'f', env: {} }),
    );
    expect(error.issues[0]?.message).toBe(
      '"healthChek" is not a known key; did you mean "healthCheck"?',
    );
  });

  it('checks environments that are not deployed, but lets their variables be unset', () => {
    const text =
      MINIMAL + 'environments:\n  live:\n    env: { DB: "${LIVE_DB}" }\n    replicaz: 2\n';
    const error = specErrorOf(() => parseSpec({ text, file: 'f', env: {} }));
    expect(error.issues.map((issue) => [issue.code, issue.path])).toEqual([
      ['SPEC_UNKNOWN_KEY', 'environments.live.replicaz'],
    ]);
  });
});

describe('loadSpec', () => {
  it('reads the file and names it in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-spec-'));
    const file = join(dir, 'switchyard.yaml');
    writeFileSync(file, MINIMAL.replace('8080', '"${LISTEN}"'));
    const error = await loadSpec({ file, env: {} }).catch((caught: unknown) => caught);
    expect(isSpecError(error) && error.issues.map((issue) => [issue.file, issue.code])).toEqual([
      [file, 'SPEC_MISSING_VARIABLE'],
    ]);
    writeFileSync(file, MINIMAL);
    expect((await loadSpec({ file, env: {} })).service).toBe('shop');
  });

  it('says how to start when the file is missing', async () => {
    const file = join(tmpdir(), 'switchyard-no-such-dir', 'switchyard.yaml');
    const error = await loadSpec({ file, env: {} }).catch((caught: unknown) => caught);
    expect(isSpecError(error) && error.code).toBe('SPEC_FILE_NOT_FOUND');
    expect(isSpecError(error) && error.details[0]).toContain('switchyard init');
  });
});

describe('strategies', () => {
  it('spells out presets as canary steps ending at 100%', () => {
    const text = MINIMAL + 'strategy: { preset: Linear10PercentEvery1Minute }\n';
    const effective = effectiveStrategy(parseSpec({ text, file: 'f', env: {} }).strategy);
    expect(effective.kind).toBe('canary');
    if (effective.kind !== 'canary') return;
    const weights = effective.canary.steps.flatMap((step) =>
      'setWeight' in step ? [step.setWeight] : [],
    );
    expect(weights).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(PRESETS.AllAtOnce.steps).toEqual([{ setWeight: 100 }]);
    expect(PRESETS.Canary10Percent5Minutes.steps).toEqual([
      { setWeight: 10 },
      { pause: '5m' },
      { setWeight: 100 },
    ]);
  });

  it('reads a pause as milliseconds, or null to wait for promote', () => {
    expect(pauseMs('30s')).toBe(30_000);
    expect(pauseMs({})).toBeNull();
  });
});
