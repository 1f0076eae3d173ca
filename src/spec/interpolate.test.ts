import { describe, expect, it } from 'vitest';
import { specErrorOf } from '../../test/support/spec-error-of.ts';
import { interpolateString } from './interpolate.ts';
import { parseSpec } from './load.ts';

describe('interpolateString', () => {
  const env = { HOST: 'db.internal', PORT_NUMBER: '5432', EMPTY: '' };

  it('replaces ${VAR} from the env map', () => {
    expect(interpolateString('postgres://${HOST}:${PORT_NUMBER}/shop', env)).toEqual({
      value: 'postgres://db.internal:5432/shop',
      problems: [],
    });
    expect(interpolateString('[${EMPTY}]', env).value).toBe('[]');
  });

  it('writes $${VAR} as a literal ${VAR}', () => {
    expect(interpolateString('price: $${PRICE} at ${HOST}', env).value).toBe(
      'price: ${PRICE} at db.internal',
    );
  });

  it('leaves a bare $VAR for the shell', () => {
    expect(interpolateString('node server.js --port $PORT', env)).toEqual({
      value: 'node server.js --port $PORT',
      problems: [],
    });
  });

  it('reports a missing variable and a malformed reference', () => {
    expect(interpolateString('${NOPE}/${1X}/${HOST', env).problems).toEqual([
      { kind: 'missing', name: 'NOPE', token: '${NOPE}' },
      { kind: 'malformed', token: '${1X}' },
      { kind: 'malformed', token: '${HOST' },
    ]);
  });
});

describe('interpolation in a spec', () => {
  const text = [
    'service: shop',
    'runtime: { type: process, command: "node server.js --port $PORT" }',
    'router: { listen: 8080 }',
    'env:',
    '  DB: "postgres://${DB_HOST}/shop"',
    '  NOTE: "${A} and ${B}"',
    '',
  ].join('\n');

  it('expands string values and leaves the shell its $PORT', () => {
    const spec = parseSpec({ text, file: 'f.yaml', env: { DB_HOST: 'db', A: '1', B: '2' } });
    expect(spec.env).toEqual({ DB: 'postgres://db/shop', NOTE: '1 and 2' });
    expect(spec.runtime).toEqual({ type: 'process', command: 'node server.js --port $PORT' });
  });

  it('reads an unquoted ${VAR} as a number where the file would have one; a quoted one stays text', () => {
    const numbers = [
      'service: shop',
      'runtime: { type: process, command: "node server.js" }',
      'port: ${APP_PORT}',
      'replicas: ${REPLICAS}',
      'router:',
      '  listen: ${LISTEN}',
      'env: { APP_PORT: "${APP_PORT}", FLAG: "${FLAG}" }',
      '',
    ].join('\n');
    const env = { APP_PORT: '3001', REPLICAS: '2', LISTEN: '8088', FLAG: 'true' };
    const spec = parseSpec({ text: numbers, file: 'f.yaml', env });
    expect(spec.port).toBe(3001);
    expect(spec.replicas).toBe(2);
    expect(spec.router.listen).toBe(8088);
    expect(spec.env).toEqual({ APP_PORT: '3001', FLAG: 'true' });
  });

  it('points each missing variable at its own line and column', () => {
    const { issues } = specErrorOf(() => parseSpec({ text, file: 'f.yaml', env: { A: '1' } }));
    expect(issues.map(({ code, path, line, column }) => ({ code, path, line, column }))).toEqual([
      { code: 'SPEC_MISSING_VARIABLE', path: 'env.DB', line: 5, column: 19 },
      { code: 'SPEC_MISSING_VARIABLE', path: 'env.NOTE', line: 6, column: 19 },
    ]);
  });
});
