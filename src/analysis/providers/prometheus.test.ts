/**
 * The Prometheus provider against a stand-in for its HTTP API: placeholders,
 * the answer shapes, and failures. test/system/analysis-prometheus.test.ts
 * runs it against a real Prometheus.
 */
import { describe, expect, it } from 'vitest';
import { refusedUrl, useLoopbackServers } from '../../../test/support/loopback-server.ts';
import { fillPlaceholders, queryPrometheus, type PlaceholderValues } from './prometheus.ts';

const values: PlaceholderValues = {
  service: 'shop',
  environment: 'live',
  pool: 'canary',
  stablePool: 'stable',
  version: '2.0.0',
  routerService: 'shop/live',
};

const serve = useLoopbackServers();

/** Answers every request with `status` and `body`; records the queries asked. */
async function fakePrometheus(
  status: number,
  body: unknown,
): Promise<{ address: string; queries: string[] }> {
  const queries: string[] = [];
  const address = await serve((request, response) => {
    const url = new URL(request.url!, 'http://x');
    queries.push(`${url.pathname} ${url.searchParams.get('query')}`);
    if (body === undefined) return; // hang
    response
      .writeHead(status, { 'content-type': 'application/json' })
      .end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  return { address, queries };
}

const vector = (...samples: Array<[Record<string, string>, string]>) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: samples.map(([metric, value]) => ({ metric, value: [1_700_000_000.1, value] })),
  },
});

describe('fillPlaceholders', () => {
  it('fills every placeholder, spaces allowed, escaping for a PromQL string', () => {
    expect(
      fillPlaceholders(
        'sum(rate(x{service="{{routerService}}",pool="{{ pool }}",v="{{version}}"}[1m])) / {{stablePool}}{{service}}{{environment}}',
        { ...values, version: 'a"b\\c' },
      ),
    ).toEqual({
      ok: true,
      query: 'sum(rate(x{service="shop/live",pool="canary",v="a\\"b\\\\c"}[1m])) / stableshoplive',
    });
  });

  it('names a placeholder it does not know, and one without a value', () => {
    expect(fillPlaceholders('x{a="{{namespace}}"}', values)).toEqual({
      ok: false,
      message: expect.stringMatching(
        /^The prometheus query uses \{\{namespace\}\}, which Switchyard does not fill in; use \{\{service\}\}, /,
      ),
    });
    expect(fillPlaceholders('x{a="{{stablePool}}"}', { ...values, stablePool: null })).toEqual({
      ok: false,
      message: 'The prometheus query uses {{stablePool}}, but this rollout has no stablePool.',
    });
  });
});

describe('queryPrometheus', () => {
  it('takes the first sample of an instant vector, with the filled-in query', async () => {
    const prometheus = await fakePrometheus(200, vector([{ pool: 'canary' }, '0.25'], [{}, '9']));
    expect(
      await queryPrometheus({
        query: 'up{pool="{{pool}}"}',
        address: `${prometheus.address}/`,
        placeholders: values,
      }),
    ).toEqual({
      kind: 'value',
      value: 0.25,
      detail: 'the first of 2 series the query returned, {pool="canary"}',
    });
    expect(prometheus.queries).toEqual(['/api/v1/query up{pool="canary"}']);
  });

  it('keeps a path prefix of the address and reads a scalar and special values', async () => {
    const scalar = await fakePrometheus(200, {
      status: 'success',
      data: { resultType: 'scalar', result: [1, '+Inf'] },
    });
    expect(
      await queryPrometheus({
        query: 'vector(1)',
        address: `${scalar.address}/prom`,
        placeholders: values,
      }),
    ).toEqual({ kind: 'value', value: Infinity, detail: 'the query returned a scalar' });
    expect(scalar.queries).toEqual(['/prom/api/v1/query vector(1)']);
  });

  it('is inconclusive (NaN) for an empty vector', async () => {
    const prometheus = await fakePrometheus(200, vector());
    expect(
      await queryPrometheus({ query: 'up', address: prometheus.address, placeholders: values }),
    ).toEqual({ kind: 'value', value: NaN, detail: 'the query returned no series' });
  });

  it('is an error for a refused query, a range vector, a non-JSON answer and a bad placeholder', async () => {
    const refused = await fakePrometheus(400, {
      status: 'error',
      errorType: 'bad_data',
      error: 'invalid parameter "query": 1:5: parse error: unexpected "}"',
    });
    expect(
      await queryPrometheus({ query: 'up{}}', address: refused.address, placeholders: values }),
    ).toEqual({
      kind: 'error',
      message: `Prometheus at ${refused.address} refused the query (400 bad_data): invalid parameter "query": 1:5: parse error: unexpected "}".`,
    });
    const range = await fakePrometheus(200, {
      status: 'success',
      data: { resultType: 'matrix', result: [] },
    });
    expect(
      await queryPrometheus({ query: 'up[1m]', address: range.address, placeholders: values }),
    ).toMatchObject({ kind: 'error', message: expect.stringContaining('answered a range vector') });
    const html = await fakePrometheus(200, '<html>login</html>');
    expect(
      await queryPrometheus({ query: 'up', address: html.address, placeholders: values }),
    ).toEqual({
      kind: 'error',
      message: `Prometheus at ${html.address} answered 200 with something other than its JSON API ("<html>login</html>"); check the address.`,
    });
    expect(
      await queryPrometheus({ query: '{{nope}}', address: html.address, placeholders: values }),
    ).toMatchObject({ kind: 'error' });
    expect(html.queries).toHaveLength(1); // the bad placeholder asked nothing
  });

  it('is an error when Prometheus does not answer in time, or cannot be reached', async () => {
    const hung = await fakePrometheus(200, undefined);
    expect(
      await queryPrometheus({
        query: 'up',
        address: hung.address,
        placeholders: values,
        timeoutMs: 200,
      }),
    ).toEqual({
      kind: 'error',
      message: `The query to Prometheus at ${hung.address} timed out after 200ms.`,
    });
    const closed = await refusedUrl();
    expect(await queryPrometheus({ query: 'up', address: closed, placeholders: values })).toEqual({
      kind: 'error',
      message: `Cannot reach Prometheus at ${closed} (ECONNREFUSED).`,
    });
  });
});
