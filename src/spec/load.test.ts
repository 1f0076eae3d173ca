import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specErrorOf } from '../../test/support/spec-error-of.ts';
import { DEFAULT_HEALTH_CHECK, DEFAULT_ROLLING } from './defaults.ts';
import { loadSpec, parseSpec } from './load.ts';
import { effectiveStrategy, PRESETS } from './presets.ts';
import { pauseMs } from './schema/strategy.ts';
import { formatIssue, isSpecError } from './spec-error.ts';

const MINIMAL =
  'service: shop\nruntime: { type: process, command: "node server.js" }\nrouter: { listen: 8080 }\n';

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

describe('environments not being deployed', () => {
  const text =
    MINIMAL +
    [
      'environments:',
      '  beta: { replicas: 2 }',
      '  live:',
      '    port: ${LIVE_PORT}',
      '    notifications:',
      '      - slack: { webhookUrl: "${LIVE_HOOK}" }',
      '',
    ].join('\n');
  const issues = (env: Record<string, string>, environment: string) =>
    specErrorOf(() => parseSpec({ text, file: 'f', env, environment })).issues.map((issue) => [
      issue.code,
      issue.path,
    ]);

  it('leave their unset variables unchecked: no type error for a value still holding ${VAR}', () => {
    expect(parseSpec({ text, file: 'f', env: {}, environment: 'beta' }).replicas).toBe(2);
    expect(parseSpec({ text, file: 'f', env: {} }).port).toBe(3000);
  });

  it('still check the chosen environment fully, and any variable that is set', () => {
    expect(issues({}, 'live')).toEqual([
      ['SPEC_MISSING_VARIABLE', 'environments.live.port'],
      ['SPEC_MISSING_VARIABLE', 'environments.live.notifications[0].slack.webhookUrl'],
    ]);
    const env = { LIVE_PORT: 'eighty', LIVE_HOOK: 'not a url' };
    expect(issues(env, 'live')).toEqual([
      ['SPEC_INVALID_TYPE', 'environments.live.port'],
      ['SPEC_INVALID_VALUE', 'environments.live.notifications[0].slack.webhookUrl'],
    ]);
    expect(issues(env, 'beta')).toEqual(issues(env, 'live'));
    const live = parseSpec({
      text,
      file: 'f',
      env: { LIVE_PORT: '8081', LIVE_HOOK: 'https://hooks.example.com/x' },
      environment: 'live',
    });
    expect(live.port).toBe(8081);
  });

  it('still check a literal $${...}, which is no variable', () => {
    const literal = text.replace('${LIVE_PORT}', () => '"$${LIVE_PORT}"');
    expect(
      specErrorOf(() =>
        parseSpec({ text: literal, file: 'f', env: {}, environment: 'beta' }),
      ).issues.map((issue) => [issue.code, issue.path]),
    ).toEqual([['SPEC_INVALID_TYPE', 'environments.live.port']]);
  });
});

describe('spec errors', () => {
  it('carry exactly code, file, line, column, path and message, in that order', () => {
    const text =
      MINIMAL.replace('8080', '"${LISTEN}"') +
      'replicas: 0\nhealthChek: {}\nenvironments:\n  beta: { replicaz: 2, port: 0 }\n';
    const error = specErrorOf(() => parseSpec({ text, file: 'f', env: {}, environment: 'bta' }));
    expect(error.issues.map((issue) => issue.code).sort()).toEqual(
      [
        'SPEC_INVALID_VALUE',
        'SPEC_INVALID_VALUE',
        'SPEC_MISSING_VARIABLE',
        'SPEC_UNKNOWN_ENVIRONMENT',
        'SPEC_UNKNOWN_KEY',
        'SPEC_UNKNOWN_KEY',
      ].sort(),
    );
    for (const issue of error.issues) {
      expect(Object.keys(issue)).toEqual(['code', 'file', 'line', 'column', 'path', 'message']);
    }
  });
});

describe('durations', () => {
  it('reports one too long to count in milliseconds as an error with its place', () => {
    const error = specErrorOf(() =>
      parseSpec({
        text: MINIMAL + 'healthCheck: { interval: 99999999999999999999h }\n',
        file: 'f',
        env: {},
      }),
    );
    expect(error.details).toEqual([
      'f:4:26 healthCheck.interval: "99999999999999999999h" is too long; the longest duration is 2501999792h59m991ms.',
    ]);
  });
});

describe('container runtime', () => {
  const container = (extra: string) =>
    'service: shop\nrouter: { listen: 8080 }\nruntime:\n  type: container\n  image: shop:1\n' +
    extra;

  it('takes memory sizes in either case', () => {
    expect(
      parseSpec({ text: container('  memory: 512M\n'), file: 'f', env: {} }).runtime,
    ).toMatchObject({
      memory: '512M',
    });
  });

  it('reads env like the top-level env: numbers and booleans become strings', () => {
    const spec = parseSpec({
      text: container('  env: { WORKERS: 4, VERBOSE: false, NAME: x }\n'),
      file: 'f',
      env: {},
    });
    expect(spec.runtime).toMatchObject({ env: { WORKERS: '4', VERBOSE: 'false', NAME: 'x' } });
  });

  it('falls back to the top-level port in the resolved spec', () => {
    const text = container('') + 'port: 4000\nenvironments:\n  beta: { port: 5000 }\n';
    expect(parseSpec({ text, file: 'f', env: {} }).runtime).toMatchObject({ port: 4000 });
    expect(parseSpec({ text, file: 'f', env: {}, environment: 'beta' }).runtime).toMatchObject({
      port: 5000,
    });
    const own = parseSpec({ text: container('  port: 80\n'), file: 'f', env: {} });
    expect(own.runtime).toMatchObject({ port: 80 });
    expect(own.port).toBe(3000);
  });

  it('pulls nothing unless the spec asks', () => {
    expect(parseSpec({ text: container(''), file: 'f', env: {} }).runtime).toMatchObject({
      pull: 'never',
      stopTimeout: '30s',
    });
  });

  it('takes volumes as docker run -v does, with absolute paths or volume names', () => {
    const volumes =
      '  volumes: ["/srv/data:/data", "cache:/var/cache:ro", "/etc/tz:/etc/tz:ro,z"]\n';
    expect(parseSpec({ text: container(volumes), file: 'f', env: {} }).runtime).toMatchObject({
      volumes: ['/srv/data:/data', 'cache:/var/cache:ro', '/etc/tz:/etc/tz:ro,z'],
    });
  });

  it('refuses a relative or one-sided volume with its line and path', () => {
    const error = specErrorOf(() =>
      parseSpec({
        text: container('  volumes:\n    - ./data:/data\n    - /only-one-side\n'),
        file: 'switchyard.yaml',
        env: {},
      }),
    );
    expect(error.issues.map((i) => [i.code, i.path, i.line])).toEqual([
      ['SPEC_INVALID_VALUE', 'runtime.volumes[0]', 7],
      ['SPEC_INVALID_VALUE', 'runtime.volumes[1]', 8],
    ]);
    expect(error.issues[0]?.message).toContain('HOST_PATH:CONTAINER_PATH');
  });

  it("refuses labels in Switchyard's own switchyard.* namespace", () => {
    const error = specErrorOf(() =>
      parseSpec({
        text: container('  labels:\n    team: web\n    switchyard.pool: stable\n'),
        file: 'switchyard.yaml',
        env: {},
      }),
    );
    expect(error.issues.map((i) => [i.code, i.path, i.line])).toEqual([
      ['SPEC_CONFLICT', 'runtime.labels["switchyard.pool"]', 8],
    ]);
  });
});

describe('blue/green', () => {
  it('fills previewReplicas with replicas in the resolved spec unless it is set', () => {
    const text = MINIMAL + 'replicas: 3\nstrategy: { blueGreen: {} }\n';
    expect(parseSpec({ text, file: 'f', env: {} }).strategy).toEqual({
      blueGreen: { scaleDownDelay: '30s', previewReplicas: 3 },
    });
    const own = text.replace('blueGreen: {}', 'blueGreen: { previewReplicas: 1 }');
    expect(parseSpec({ text: own, file: 'f', env: {} }).strategy).toMatchObject({
      blueGreen: { previewReplicas: 1 },
    });
  });
});
