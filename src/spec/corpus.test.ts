/**
 * The fixture corpus: every bad spec in test/fixtures/specs/bad must produce
 * exactly the errors its NAME.expect.json lists (code, path, line), and every
 * good spec must resolve, for the base and for each of its environments.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { specErrorOf } from '../../test/support/spec-error-of.ts';
import { ErrorCodes } from '../errors.ts';
import { parseSpec } from './load.ts';
import { escapeInterpolation } from './print.ts';

const root = join(import.meta.dirname, '../../test/fixtures/specs');
const yamlFiles = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((name) => name.endsWith('.yaml'))
    .sort();

interface Expectation {
  readonly environment?: string;
  readonly env?: Record<string, string>;
  readonly errors: readonly { code: string; path: string; line: number }[];
}

/** Variables the good specs use. */
const GOOD_ENV = {
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX',
  ALERT_SECRET: 'a-long-shared-secret',
  REGION: 'eu-west-1',
  ALPHA_REGION: 'eu-central-1',
  APP_DIR: '/srv/worker',
  VERSION_TAG: '1.2.3',
};

describe('bad specs', () => {
  const files = yamlFiles('bad');

  it('has a corpus of at least 45 specs, each with its expectation', () => {
    expect(files.length).toBeGreaterThanOrEqual(45);
    const expectations = readdirSync(join(root, 'bad')).filter((name) =>
      name.endsWith('.expect.json'),
    );
    expect(expectations.map((name) => name.replace('.expect.json', '.yaml')).sort()).toEqual(files);
  });

  it('covers every spec error code but the ones only the CLI and the file system produce', () => {
    const seen = new Set<string>();
    for (const file of files) {
      const expectation = JSON.parse(
        readFileSync(join(root, 'bad', file.replace(/\.yaml$/, '.expect.json')), 'utf8'),
      ) as Expectation;
      for (const error of expectation.errors) seen.add(error.code);
    }
    const specCodes = Object.keys(ErrorCodes).filter(
      (code) =>
        code.startsWith('SPEC_') && code !== 'SPEC_FILE_NOT_FOUND' && code !== 'SPEC_EXISTS',
    );
    expect([...seen].sort()).toEqual(specCodes.sort());
  });

  it.each(files)('%s', (file) => {
    const text = readFileSync(join(root, 'bad', file), 'utf8');
    const expectation = JSON.parse(
      readFileSync(join(root, 'bad', file.replace(/\.yaml$/, '.expect.json')), 'utf8'),
    ) as Expectation;
    const issues = specErrorOf(() =>
      parseSpec({
        text,
        file,
        env: { HOME: '/root', ...expectation.env },
        environment: expectation.environment,
      }),
    ).issues;
    expect(issues.map(({ code, path, line }) => ({ code, path, line }))).toEqual(
      expectation.errors,
    );
    for (const issue of issues) {
      expect(issue.file).toBe(file);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      // A sentence: it ends like one and says what to do after the semicolon or colon.
      expect(issue.message).toMatch(/[.?]$/);
    }
  });
});

describe('good specs', () => {
  it.each(yamlFiles('good'))('%s resolves for the base and every environment', (file) => {
    const text = readFileSync(join(root, 'good', file), 'utf8');
    const base = parseSpec({ text, file, env: GOOD_ENV });
    expect(base.environment).toBe('default');
    expect(base).not.toHaveProperty('environments');
    const environments = Object.keys(
      (parse(text) as { environments?: Record<string, unknown> }).environments ?? {},
    );
    for (const environment of environments) {
      const resolved = parseSpec({ text, file, env: GOOD_ENV, environment });
      expect(resolved.environment).toBe(environment);
      // The resolved spec is itself a spec that resolves to the same thing.
      const { environment: _name, ...asSpec } = resolved;
      expect(parseSpec({ text: asSpecText(asSpec), file, env: {} })).toEqual({
        ...resolved,
        environment: 'default',
      });
    }
    const { environment: _name, ...asSpec } = base;
    expect(parseSpec({ text: asSpecText(asSpec), file, env: {} })).toEqual(base);
    // Plain JSON, as a revision stores it.
    expect(JSON.parse(JSON.stringify(base))).toEqual(base);
  });
});

/** A resolved spec as spec text; a literal `${` it holds is written `$${` again. */
function asSpecText(value: unknown): string {
  return stringify(escapeInterpolation(value));
}
