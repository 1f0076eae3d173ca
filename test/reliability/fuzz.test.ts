/**
 * Fuzzing (fast-check; the seed is printed, SEED=<n> replays):
 *
 * - the spec loader: a few thousand generated specs, YAML-ish objects around
 *   the real schema (known keys with random values, random extra keys,
 *   random nesting, strings with `${`), plus raw text. parseSpec returns or
 *   throws a SpecError whose every issue has a code, a path and a line;
 *   nothing else is ever thrown.
 * - the router's HTTP parsing: malformed request lines, headers and chunked
 *   bodies (generated, plus hand-picked smuggling patterns) over raw sockets
 *   to a real Router with a real upstream. Each socket must be answered or
 *   closed within the test's own socket timeout (a hang is reported as a
 *   failure); malformed input gets a 400 or a close; the upstream never
 *   receives a complete malformed request; and after each batch a normal GET
 *   still succeeds.
 * - the router's own client path against llhttp: generated request heads,
 *   most of them nearly simple. Every head the path's recogniser takes is
 *   sent to a Node HTTP server (llhttp, strict), which must take it too and
 *   read the same method, target and headers: the path may take less than
 *   llhttp, never more, and never read a head differently.
 */
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSimpleRequest } from '../../src/router/proxy/simple-request.ts';
import { SpecError, parseSpec } from '../../src/spec/index.ts';
import type { TestRouter, TestUpstream } from '../system/router-harness.ts';
import { config, get, makeRouter, pool, service, startUpstream } from '../system/router-harness.ts';
import { seedFromEnv } from './support.ts';

const seed = seedFromEnv();
console.log(`fuzz: SEED=${seed}`);

// ---------------------------------------------------------------- spec loader

const str = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('${', '${X}', '${X:-d}', '$${X}', '${', '}', '1s', '-1s', '0', 'process', 'x'),
  fc.string({ maxLength: 6 }).map((s) => `\${${s}`),
);
const scalar = fc.oneof(
  str,
  fc.integer({ min: -5, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const KNOWN = [
  'service',
  'runtime',
  'type',
  'command',
  'image',
  'replicas',
  'port',
  'env',
  'secrets',
  'healthCheck',
  'path',
  'interval',
  'timeout',
  'healthyThreshold',
  'startupTimeout',
  'router',
  'listen',
  'preview',
  'drainTimeout',
  'strategy',
  'blueGreen',
  'canary',
  'rolling',
  'steps',
  'setWeight',
  'pause',
  'autoPromote',
  'scaleDownDelay',
  'hooks',
  'preDeploy',
  'environments',
  'analysis',
  'notifications',
  'version',
];
const key = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'spec' },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
}));
const validish = fc.record(
  {
    service: fc.oneof(fc.constant('shop'), str),
    runtime: fc.oneof(
      fc.record({ type: fc.constantFrom('process', 'container', 'x'), command: str }),
      value,
    ),
    replicas: fc.oneof(fc.integer({ min: -2, max: 5 }), value),
    healthCheck: fc.dictionary(
      fc.constantFrom('path', 'interval', 'timeout', 'healthyThreshold', 'startupTimeout'),
      scalar,
    ),
    router: fc.dictionary(fc.constantFrom('listen', 'preview', 'drainTimeout'), scalar),
    strategy: fc.oneof(
      fc.record({
        blueGreen: fc.dictionary(fc.constantFrom('autoPromote', 'scaleDownDelay'), scalar),
      }),
      fc.record({ canary: fc.record({ steps: fc.array(value, { maxLength: 3 }) }) }),
      value,
    ),
    secrets: fc.array(str, { maxLength: 3 }),
    env: fc.dictionary(fc.string({ maxLength: 6 }), str, { maxKeys: 3 }),
    extra: value,
  },
  { requiredKeys: [] },
);
// A valid spec with a few fields replaced: reaches the deeper checks.
const nearValid = fc
  .record(
    {
      replicas: fc.oneof(fc.integer({ min: 1, max: 5 }), scalar),
      command: fc.oneof(fc.constant('node app.js'), fc.constant('node ${X}.js'), str),
      healthCheck: fc.oneof(
        fc.constant({ path: '/healthz', interval: '1s' }),
        fc.dictionary(fc.constantFrom('path', 'interval', 'timeout', 'healthyThreshold'), scalar),
      ),
      router: fc.oneof(
        fc.constant({ listen: 8080 }),
        fc.constant({ listen: '${PORT}' }),
        fc.dictionary(fc.constantFrom('listen', 'preview', 'drainTimeout'), scalar),
      ),
      strategy: fc.oneof(
        fc.constant({ blueGreen: { autoPromote: '1s' } }),
        fc.constant({ canary: { steps: [{ setWeight: 10 }, { pause: '1s' }] } }),
        fc.constantFrom('blueGreen', 'canary', 'rolling'),
        value,
      ),
      env: fc.oneof(
        fc.constant({ A: 'b', T: '${TOKEN}' }),
        fc.dictionary(key, scalar, { maxKeys: 3 }),
      ),
      secrets: fc.oneof(fc.constant(['TOKEN']), fc.array(str, { maxLength: 2 })),
      [`extra`]: value,
    },
    { requiredKeys: ['command'] },
  )
  .map(({ command, extra, ...rest }) => ({
    service: 'shop',
    runtime: { type: 'process', command },
    ...rest,
    ...(extra !== undefined && typeof extra === 'object' && extra !== null && !Array.isArray(extra)
      ? extra
      : {}),
  }));

const specText = fc.oneof(
  { weight: 5, arbitrary: nearValid.map((object) => stringify(object)) },
  { weight: 5, arbitrary: validish.map((object) => stringify(object)) },
  { weight: 2, arbitrary: value.map((v) => stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.constantFrom(
          'service: a\n',
          '  ',
          '- ',
          ': ',
          '${',
          '{',
          '[',
          '"',
          "'",
          '\n',
          '&a ',
          '*a',
          '!!str ',
          '#',
        ),
        {
          maxLength: 40,
        },
      )
      .map((parts) => parts.join('')),
  },
);
const specEnv = fc.dictionary(fc.constantFrom('X', 'Y', 'PORT', 'TOKEN'), str, { maxKeys: 3 });

describe('spec loader fuzz', () => {
  // Found by this fuzzer: both threw a plain error instead of a SpecError.
  it.each([
    ['an unresolved alias', '*a', 'SPEC_YAML_SYNTAX'],
    ['env: null', 'env: null\n', undefined],
  ])('rejects %s with a SpecError', (_name, text, code) => {
    let thrown: unknown;
    try {
      parseSpec({ text, file: 'switchyard.yaml', env: {} });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    if (code !== undefined) expect((thrown as SpecError).issues[0]?.code).toBe(code);
  });

  it('throws nothing but a SpecError with located issues', { timeout: 120_000 }, () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(specText, specEnv, (text, env) => {
        try {
          parseSpec({ text, file: 'switchyard.yaml', env });
          accepted += 1;
        } catch (error) {
          if (!(error instanceof SpecError)) throw error;
          rejected += 1;
          expect(error.issues.length).toBeGreaterThan(0);
          for (const issue of error.issues) {
            expect(typeof issue.code).toBe('string');
            expect(issue.code).not.toBe('');
            expect(typeof issue.path).toBe('string');
            expect(Number.isInteger(issue.line) && issue.line >= 1).toBe(true);
            expect(typeof issue.message).toBe('string');
          }
        }
      }),
      { numRuns: 3_000, seed },
    );
    console.log(`fuzz: spec loader: ${accepted} accepted, ${rejected} rejected with a SpecError`);
  });
});

// ---------------------------------------------------------------- router HTTP

interface Exchange {
  readonly text: string;
  readonly hung: boolean;
}

const HANG_GUARD_MS = 4_000;

/** Sends raw bytes; resolves with what came back once the router closed, or the guard fired. */
function raw(port: number, bytes: Buffer): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let hung = false;
    socket.setTimeout(HANG_GUARD_MS, () => {
      // An answer already given counts: the router may keep a connection
      // open after a complete, well-formed exchange.
      hung = !/^HTTP\/1\.1 \d{3}/.test(text);
      socket.destroy();
    });
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ text, hung }));
    socket.write(bytes);
  });
}

const TOKEN_BREAKERS = [
  '\x00',
  '\x01',
  '\x7f',
  ' ',
  '(',
  ')',
  '<',
  '>',
  '@',
  ',',
  ';',
  '\\',
  '"',
  '/',
  '[',
  ']',
  '?',
  '=',
  '{',
  '}',
];
const CTL = ['\x00', '\x01', '\x08', '\x0b', '\x0c', '\x7f'];

type Case = { readonly kind: string; readonly bytes: string };

const caseArb = (id: () => number): fc.Arbitrary<Case> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('GET', 'POST', 'G', ''),
        fc.constantFrom(...CTL, '\t'),
        fc.string({ maxLength: 5 }),
      )
      .map(([m, bad, tail]) => ({
        kind: 'method',
        bytes: `${m}${bad}${tail} /m-${id()} HTTP/1.1\r\nHost: a\r\n\r\n`,
      })),
    fc
      .tuple(fc.constantFrom('x', '1.x', '2.2', '1.1.1', '', '9', 'a'), fc.string({ maxLength: 4 }))
      .map(([v, tail]) => ({
        kind: 'version',
        bytes: `GET /m-${id()} HTTP/${v}${tail.replace(/[\r\n]/g, '')}q\r\nHost: a\r\n\r\n`,
      })),
    fc.constantFrom(...CTL, '\x7f').map((bad) => ({
      kind: 'target',
      bytes: `GET /m-${id()}${bad}x HTTP/1.1\r\nHost: a\r\n\r\n`,
    })),
    fc
      .tuple(
        fc.string({ maxLength: 4 }),
        fc.constantFrom(...TOKEN_BREAKERS),
        fc.string({ maxLength: 4 }),
      )
      .map(([a, bad, b]) => ({
        kind: 'header-name',
        bytes: `GET /m-${id()} HTTP/1.1\r\nHost: a\r\nX${a.replace(/[\r\n:]/g, '')}${bad}${b.replace(/[\r\n:]/g, '')}: v\r\n\r\n`,
      })),
    fc
      .tuple(fc.constantFrom('\x00', '\x7f', '\rz', '\x0b'), fc.string({ maxLength: 4 }))
      .map(([bad, tail]) => ({
        kind: 'header-value',
        bytes: `GET /m-${id()} HTTP/1.1\r\nHost: a\r\nX-A: a${bad}${tail.replace(/[\r\n]/g, '')}\r\n\r\n`,
      })),
    fc
      .constantFrom(
        'zz\r\nabc\r\n0\r\n\r\n',
        'ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n',
        '3\r\nabcdef\r\n0\r\n\r\n',
        '3 \x00\r\nabc\r\n0\r\n\r\n',
        '-1\r\nabc\r\n0\r\n\r\n',
        '3\nabc\n0\n\n',
        '3\r\nabc0\r\n\r\n',
      )
      .map((body) => ({
        kind: 'chunked',
        bytes: `POST /m-${id()} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${body}`,
      })),
    fc
      .constantFrom('chunked, identity', 'gzip', 'chunked\x00', 'xchunked', 'chunked, chunked')
      .map((te) => ({
        kind: 'transfer-encoding',
        bytes: `POST /m-${id()} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${te}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
      })),
    fc.constantFrom('abc', '-1', '1, 2', '0x10', '99999999999999999999999').map((cl) => ({
      kind: 'content-length',
      bytes: `POST /m-${id()} HTTP/1.1\r\nHost: a\r\nContent-Length: ${cl}\r\n\r\nabc`,
    })),
  );

const SMUGGLING: Case[] = [
  [
    'CL.TE',
    'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  ['TE.CL', 'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n'],
  [
    'CL.CL',
    'Content-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  [
    'TE obfuscated (space before colon)',
    'Transfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  [
    'TE obfuscated (tab)',
    'Transfer-Encoding:\tchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  [
    'TE line folding',
    'Transfer-Encoding: x\r\n chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  [
    'TE twice',
    'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  [
    'bare LF in headers',
    'X-A: a\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  [
    'chunk extension smuggle',
    'Transfer-Encoding: chunked\r\n\r\n2;\nxx\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
  ],
  ['two Hosts', 'Host: b\r\nContent-Length: 0\r\n\r\n'],
].map(([kind, rest]) => ({
  kind: `smuggling: ${kind}`,
  bytes: `POST /m-smuggle HTTP/1.1\r\nHost: a\r\n${rest}`,
}));

describe('router HTTP parsing fuzz', () => {
  let upstream: TestUpstream;
  let t: TestRouter;

  beforeAll(async () => {
    upstream = await startUpstream('app');
    t = makeRouter();
    await t.router.apply(config(1, [service([pool('stable', 1, [upstream])])]));
  });

  afterAll(async () => {
    await t?.router.close();
    await upstream?.close();
  });

  it(
    'answers 400 or closes, never hangs, never forwards malformed input',
    { timeout: 120_000 },
    async () => {
      let next = 0;
      const id = (): number => (next += 1);
      const generated = fc.sample(caseArb(id), { numRuns: 400, seed });
      const all = [...SMUGGLING, ...generated];
      const outcomes = new Map<string, number>();
      const bad: string[] = [];
      const BATCH = 25;
      for (let start = 0; start < all.length; start += BATCH) {
        const batch = all.slice(start, start + BATCH);
        const results = await Promise.all(
          batch.map((c) => raw(t.port(), Buffer.from(c.bytes, 'latin1'))),
        );
        results.forEach((result, i) => {
          const c = batch[i] as Case;
          const status = /^HTTP\/1\.1 (\d{3})/.exec(result.text)?.[1] ?? 'closed';
          outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
          if (result.hung) bad.push(`hung: ${c.kind} ${JSON.stringify(c.bytes)}`);
          else if (status !== '400' && status !== 'closed')
            bad.push(`${status}: ${c.kind} ${JSON.stringify(c.bytes)}`);
        });
        // Still serving.
        const normal = await get(t.port(), { path: '/normal' });
        expect(normal.status).toBe(200);
      }
      const forwarded = upstream.requests.filter(
        (r) => r.url.includes('/m-') || r.url.includes('smuggled') || r.body.includes('SMUGGLED'),
      );
      console.log(
        `fuzz: router: ${all.length} malformed requests (${SMUGGLING.length} smuggling patterns); outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; upstream saw ${upstream.requests.length} requests (the normal GETs)`,
      );
      expect(bad).toEqual([]);
      expect(forwarded.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    },
  );
});

// ------------------------------------------------ router client path vs llhttp

const byte = (from: number, to: number): fc.Arbitrary<string> =>
  fc.integer({ min: from, max: to }).map((c) => String.fromCharCode(c));
/** Mostly the bytes of a well-formed head, now and then one that is not. */
const headChar = fc.oneof(
  { weight: 400, arbitrary: byte(0x21, 0x7e) },
  { weight: 8, arbitrary: fc.constantFrom(' ', '\t', ':') },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\0', '\x7f', '\xe9', '\x0b') },
);
const headText = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: headChar, maxLength });
const fieldLine = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'X-A',
          'Accept',
          'Cookie',
          'User-Agent',
          'Connection',
          'Via',
          'X-Forwarded-For',
        ),
        headText(24),
      )
      .map(([name, value]) => `${name}: ${value}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(headText(12), headText(24)).map(([name, value]) => `${name}:${value}`),
  },
  { weight: 1, arbitrary: headText(30) },
);
const requestHead = fc
  .tuple(
    fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'DELETE', 'POST', 'get', 'GET '),
    fc.oneof(
      { weight: 9, arbitrary: headText(30).map((path) => `/${path}`) },
      { weight: 1, arbitrary: headText(20) },
    ),
    fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/1.1 '),
    fc.constantFrom(['Host: a'], ['Host: a'], ['Host: a'], [], ['Host: a', 'Host: b'], ['Host:a ']),
    fc.array(fieldLine, { maxLength: 6 }),
    fc.nat(),
  )
  .map(([method, target, version, hosts, fields, at]) => {
    const lines = [...fields];
    for (const host of hosts) lines.splice(at % (lines.length + 1), 0, host);
    return `${method} ${target} ${version}\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
  });

/** Sends `bytes` on a new connection; resolves at the first answer byte or the close. */
function firstAnswer(port: number, bytes: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (): void => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(HANG_GUARD_MS, done);
    socket.once('data', done);
    socket.on('error', () => {});
    socket.once('close', done);
    socket.write(bytes, 'latin1');
  });
}

interface NodeRead {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
}

describe('router client path against llhttp', () => {
  let server: http.Server;
  let port = 0;
  /** What Node's server read from each connection, by the request's X-Case header. */
  const reads = new Map<string, NodeRead>();

  beforeAll(async () => {
    server = http.createServer({ insecureHTTPParser: false }, (req, res) => {
      const id = req.headers['x-case'];
      if (typeof id === 'string')
        reads.set(id, { method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it(
    'takes only heads llhttp takes, and reads them the same way',
    { timeout: 120_000 },
    async () => {
      const heads = fc.sample(requestHead, { numRuns: 5000, seed });
      const taken: { id: string; bytes: string; mine: NodeRead }[] = [];
      heads.forEach((bytes, i) => {
        // As the connection does: the head ends at the first blank line.
        const end = bytes.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = `${bytes.slice(0, end + 2)}X-Case: ${i}\r\n`;
        const mine = parseSimpleRequest(head);
        if (mine === null) return;
        taken.push({ id: String(i), bytes: `${head}\r\n`, mine });
      });
      const BATCH = 50;
      for (let start = 0; start < taken.length; start += BATCH) {
        await Promise.all(taken.slice(start, start + BATCH).map((c) => firstAnswer(port, c.bytes)));
      }
      const differ: string[] = [];
      for (const c of taken) {
        const node = reads.get(c.id);
        const same =
          node !== undefined &&
          node.method === c.mine.method &&
          node.url === c.mine.url &&
          JSON.stringify(node.rawHeaders) === JSON.stringify(c.mine.rawHeaders);
        if (!same)
          differ.push(`${JSON.stringify(c.bytes)}: llhttp ${JSON.stringify(node ?? 'refused')}`);
      }
      console.log(
        `fuzz: client path: ${heads.length} generated heads, ${taken.length} taken by the router's path, all read alike by llhttp: ${differ.length === 0}`,
      );
      // Enough simple heads to mean something, and enough refused to test the edge.
      expect(taken.length).toBeGreaterThan(300);
      expect(taken.length).toBeLessThan(heads.length - 300);
      expect(differ.slice(0, 5)).toEqual([]);
    },
  );
});
