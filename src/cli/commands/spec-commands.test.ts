/** `switchyard validate` and `switchyard init`, run in-process with a CliIO that captures output. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isSwitchyardError } from '../../errors.ts';
import type { CliIO } from '../io.ts';
import { initCommand } from './init.ts';
import { validateCommand } from './validate.ts';

interface CapturedIO extends CliIO {
  readonly out: () => string;
  readonly err: () => string;
}

function captureIO(options: { cwd: string; env?: Record<string, string> }): CapturedIO {
  let out = '';
  let err = '';
  return {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    stdin: Readable.from([]),
    cwd: options.cwd,
    env: options.env ?? {},
    out: () => out,
    err: () => err,
  };
}

// Every folder a test makes is removed after it.
const made: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  made.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const GOOD = [
  'service: shop',
  'runtime: { type: process, command: "node server.js" }',
  'router: { listen: 8080 }',
  'env: { URL: "${PUBLIC_URL}" }',
  'environments:',
  '  beta: { replicas: 2 }',
  '',
].join('\n');

const BAD = [
  'service: shop',
  'runtime: { type: process, command: "node server.js" }',
  'router: { listen: 8080, preview: 8080 }',
  'healthChek: {}',
  '',
].join('\n');

describe('validateCommand', () => {
  it('prints the resolved spec as YAML, with variables from io.env, and exits 0', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'switchyard.yaml'), GOOD);
    const io = captureIO({ cwd, env: { PUBLIC_URL: 'https://shop.example.com' } });
    expect(await validateCommand({ env: 'beta' }, io)).toBe(0);
    const printed = parse(io.out()) as Record<string, unknown>;
    expect(printed).toMatchObject({
      service: 'shop',
      replicas: 2,
      environment: 'beta',
      env: { URL: 'https://shop.example.com' },
    });
    expect(io.err()).toBe('');
  });

  it('prints JSON with --json and reads the file named by -f', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'other.yaml'), GOOD);
    const io = captureIO({ cwd, env: { PUBLIC_URL: 'x' } });
    expect(await validateCommand({ file: 'other.yaml', json: true }, io)).toBe(0);
    const printed = JSON.parse(io.out()) as { valid: boolean; spec: unknown };
    expect(Object.keys(printed)).toEqual(['valid', 'spec']);
    expect(printed).toMatchObject({
      valid: true,
      spec: { service: 'shop', environment: 'default', healthCheck: { interval: '1s' } },
    });
  });

  it('prints a literal ${...} escaped as $${...}, so the output validates back to itself', async () => {
    const cwd = tempDir();
    const literal = GOOD.replace('"${PUBLIC_URL}"', () => '"cost is $${PRICE} at $$${X}"');
    writeFileSync(join(cwd, 'switchyard.yaml'), literal);
    const first = captureIO({ cwd });
    expect(await validateCommand({ env: 'beta' }, first)).toBe(0);
    expect(first.out()).toContain('URL: cost is $${PRICE} at $$${X}');
    // `environment` names the environment the output was resolved for; it is not a spec key.
    const printed = first.out().replace(/^environment: .*\n/m, '');
    writeFileSync(join(cwd, 'printed.yaml'), printed);
    const again = captureIO({ cwd });
    expect(await validateCommand({ file: 'printed.yaml' }, again)).toBe(0);
    expect(again.out()).toBe(first.out().replace('environment: beta', 'environment: default'));

    const json = captureIO({ cwd });
    expect(await validateCommand({ env: 'beta', json: true }, json)).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({
      spec: { env: { URL: 'cost is ${PRICE} at $${X}' } },
    });
  });

  it('prints every error as file:line:col path: message on stderr and exits 2', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'switchyard.yaml'), BAD);
    const io = captureIO({ cwd });
    expect(await validateCommand({}, io)).toBe(2);
    expect(io.out()).toBe('');
    const lines = io.err().trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'switchyard.yaml:3:34 router.preview: the preview port is the same as the listen port (8080); give the preview listener a port of its own.',
      'switchyard.yaml:4:1 healthChek: "healthChek" is not a known key; did you mean "healthCheck"?',
    ]);
    expect(lines[2]).toBe('switchyard.yaml has 2 errors; fix them and run again.');
  });

  it('prints the errors as JSON on stdout with --json', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'switchyard.yaml'), BAD);
    const io = captureIO({ cwd });
    expect(await validateCommand({ json: true }, io)).toBe(2);
    const result = JSON.parse(io.out()) as {
      valid: boolean;
      errors: { code: string; path: string; line: number; column: number }[];
    };
    expect(Object.keys(result)).toEqual(['valid', 'errors']);
    expect(result.valid).toBe(false);
    for (const error of result.errors) {
      expect(Object.keys(error)).toEqual(['code', 'file', 'line', 'column', 'path', 'message']);
    }
    expect(
      result.errors.map(({ code, path, line, column }) => ({ code, path, line, column })),
    ).toEqual([
      { code: 'SPEC_CONFLICT', path: 'router.preview', line: 3, column: 34 },
      { code: 'SPEC_UNKNOWN_KEY', path: 'healthChek', line: 4, column: 1 },
    ]);
  });

  it('exits 2 for a missing variable, an unknown --env and a missing file', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'switchyard.yaml'), GOOD);
    const missingVariable = captureIO({ cwd });
    expect(await validateCommand({}, missingVariable)).toBe(2);
    expect(missingVariable.err()).toContain(
      'switchyard.yaml:4:14 env.URL: ${PUBLIC_URL} names a variable that is not set',
    );
    const unknownEnv = captureIO({ cwd, env: { PUBLIC_URL: 'x' } });
    expect(await validateCommand({ env: 'live' }, unknownEnv)).toBe(2);
    expect(unknownEnv.err()).toContain('--env live');
    const missingFile = captureIO({ cwd });
    expect(await validateCommand({ file: 'nope.yaml' }, missingFile)).toBe(2);
    expect(missingFile.err()).toContain('nope.yaml:1:1: the spec file does not exist');
  });
});

describe('initCommand', () => {
  it('writes a commented starter spec that passes validation', async () => {
    const cwd = tempDir();
    const io = captureIO({ cwd });
    expect(await initCommand({}, io)).toBe(0);
    const text = readFileSync(join(cwd, 'switchyard.yaml'), 'utf8');
    expect(
      text.split('\n').filter((line) => line.trimStart().startsWith('#')).length,
    ).toBeGreaterThan(10);
    expect(io.out()).toContain('switchyard.yaml');

    for (const environment of [undefined, 'beta']) {
      const check = captureIO({ cwd });
      expect(await validateCommand({ env: environment }, check)).toBe(0);
      expect(check.err()).toBe('');
    }
  });

  it('points the editor at the JSON Schema this package ships', async () => {
    const cwd = tempDir();
    await initCommand({ file: 'app.yaml' }, captureIO({ cwd }));
    const first = readFileSync(join(cwd, 'app.yaml'), 'utf8').split('\n')[0] ?? '';
    const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
    expect(match).not.toBeNull();
    const schemaPath = resolve(cwd, match?.[1] ?? '');
    expect(existsSync(schemaPath)).toBe(true);
    expect(JSON.parse(readFileSync(schemaPath, 'utf8'))).toMatchObject({
      title: 'switchyard.yaml',
    });
  });

  it('refuses to overwrite a file without --force (SPEC_EXISTS, exit 2)', async () => {
    const cwd = tempDir();
    const file = join(cwd, 'switchyard.yaml');
    writeFileSync(file, 'service: mine\n');
    const error = await initCommand({}, captureIO({ cwd })).catch((caught: unknown) => caught);
    expect(isSwitchyardError(error) && [error.code, error.exitCode]).toEqual(['SPEC_EXISTS', 2]);
    expect(readFileSync(file, 'utf8')).toBe('service: mine\n');

    expect(await initCommand({ force: true }, captureIO({ cwd }))).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('service: my-app');
  });
});
