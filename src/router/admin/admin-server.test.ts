import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../errors.ts';
import { routerService, type RouterConfig } from '../config.ts';
import { startAdminServer, type AdminHandlers, type AdminServer } from './admin-server.ts';
import { RouterAdminClient } from './client.ts';
import { startMetricsListener } from './metrics-listener.ts';
import type { DrainRequest, WindowQuery } from './types.ts';

const TOKEN = 'test-token-0123456789';

function config(generation: number, port = 8080): RouterConfig {
  return {
    generation,
    services: [
      routerService({
        name: 'shop/live',
        listen: { port },
        pools: [
          { name: 'stable', weight: 1, instances: [{ id: 'a', host: '127.0.0.1', port: 4001 }] },
        ],
        drainTimeoutMs: 1000,
      }),
    ],
  };
}

/** Stub callbacks that record what the server asked of them. */
class StubRouter implements AdminHandlers {
  current: RouterConfig = { generation: 0, services: [] };
  applied: RouterConfig[] = [];
  windows: WindowQuery[] = [];
  drains: DrainRequest[] = [];
  failApplyWith: Error | null = null;

  async applyConfig(next: RouterConfig): Promise<void> {
    if (this.failApplyWith) throw this.failApplyWith;
    this.applied.push(next);
    this.current = next;
  }
  getConfig(): RouterConfig {
    return this.current;
  }
  getState() {
    return {
      generation: this.current.generation,
      health: [],
      drain: [],
      listening: [{ service: 'shop/live', kind: 'listen' as const, host: '0.0.0.0', port: 8080 }],
    };
  }
  window(query: WindowQuery) {
    this.windows.push(query);
    const to = typeof query.to === 'number' ? query.to : 1_700_000_000;
    const from = query.from ?? to - (query.seconds ?? 60) + 1;
    return {
      seconds: to - from + 1,
      from,
      to,
      requests: 0,
      errors: 0,
      slow: 0,
      successRate: null,
      p50: null,
      p95: null,
      p99: null,
      rps: 0,
    };
  }
  async drain(body: DrainRequest) {
    this.drains.push(body);
    return { drained: [...body.instanceIds], timedOut: [] };
  }
  async metricsText(): Promise<string> {
    return 'switchyard_router_requests_total{service="shop/live"} 3\n';
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startTcp(
  stub = new StubRouter(),
): Promise<{ server: AdminServer; stub: StubRouter; base: string; client: RouterAdminClient }> {
  const server = await startAdminServer({
    listen: { host: '127.0.0.1', port: 0 },
    token: TOKEN,
    handlers: stub,
  });
  cleanups.push(() => server.close());
  const address = server.address as { host: string; port: number };
  const client = new RouterAdminClient({ address, token: TOKEN });
  cleanups.push(() => client.close());
  return { server, stub, base: `http://127.0.0.1:${address.port}`, client };
}

async function call(
  url: string,
  options: { method?: string; token?: string | null; body?: unknown } = {},
) {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers['authorization'] = `Bearer ${options.token ?? TOKEN}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await request(url, {
    method: (options.method ?? 'GET') as 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, text, json: () => JSON.parse(text) };
}

describe('admin server: auth', () => {
  it('answers 401 without a token and with a wrong one, on every route', async () => {
    const { base, stub } = await startTcp();
    for (const route of ['/healthz', '/config', '/state', '/metrics']) {
      expect((await call(base + route, { token: null })).status).toBe(401);
      expect((await call(base + route, { token: 'test-token-012345678' })).status).toBe(401);
    }
    const put = await call(`${base}/config`, { method: 'PUT', token: 'wrong', body: config(1) });
    expect(put.status).toBe(401);
    expect(put.json().error.code).toBe('ROUTER_ADMIN_FAILED');
    expect(stub.applied).toEqual([]);
    const raw = await request(`${base}/healthz`, { headers: { authorization: TOKEN } }); // no "Bearer "
    await raw.body.dump();
    expect(raw.statusCode).toBe(401);
  });

  it('answers 200 with the token', async () => {
    const { base } = await startTcp();
    const response = await call(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ ok: true });
  });
});

describe('admin server: config', () => {
  it('validates the body and answers 400 naming each field', async () => {
    const { base, stub } = await startTcp();
    const bad = {
      ...config(1),
      services: [{ ...config(1).services[0], listen: { port: 0 }, drainTimeoutMs: 'soon' }],
    };
    const response = await call(`${base}/config`, { method: 'PUT', body: bad });
    expect(response.status).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe('ROUTER_BAD_CONFIG');
    expect(error.issues.map((i: { path: string }) => i.path)).toEqual([
      'services[0].listen.port',
      'services[0].drainTimeoutMs',
    ]);
    expect(error.details[0]).toBe('services[0].listen.port: must be a port from 1 to 65535');
    expect(stub.applied).toEqual([]);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const { base } = await startTcp();
    const response = await request(`${base}/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"generation": ',
    });
    expect(response.statusCode).toBe(400);
    expect(((await response.body.json()) as { error: { code: string } }).error.code).toBe(
      'ROUTER_BAD_CONFIG',
    );
  });

  it('applies a newer or equal generation and refuses an older one with 409', async () => {
    const { base, stub } = await startTcp();
    expect((await call(`${base}/config`, { method: 'PUT', body: config(5) })).status).toBe(200);
    expect((await call(`${base}/config`, { method: 'PUT', body: config(5, 9090) })).status).toBe(
      200,
    );
    const stale = await call(`${base}/config`, { method: 'PUT', body: config(4) });
    expect(stale.status).toBe(409);
    expect(stale.json().error.code).toBe('ROUTER_STALE_CONFIG');
    expect(stub.applied.map((c) => c.generation)).toEqual([5, 5]);
    expect((await call(`${base}/config`)).json()).toEqual(config(5, 9090));
  });

  it('passes the data plane’s refusal on with its code', async () => {
    const stub = new StubRouter();
    stub.failApplyWith = new SwitchyardError('ROUTER_PORT_IN_USE', 'Port 8080 is already in use.');
    const { base } = await startTcp(stub);
    const response = await call(`${base}/config`, { method: 'PUT', body: config(1) });
    expect(response.status).toBe(409);
    expect(response.json().error).toMatchObject({
      code: 'ROUTER_PORT_IN_USE',
      message: 'Port 8080 is already in use.',
    });
  });

  it('answers 500 with a sentence when a callback fails unexpectedly', async () => {
    const stub = new StubRouter();
    stub.failApplyWith = new Error('disk full');
    const { base } = await startTcp(stub);
    const response = await call(`${base}/config`, { method: 'PUT', body: config(1) });
    expect(response.status).toBe(500);
    expect(response.json().error.code).toBe('ROUTER_ADMIN_FAILED');
  });
});

describe('admin server: other routes', () => {
  it('serves state, window, drain and metrics through the callbacks', async () => {
    const { base, stub } = await startTcp();
    expect((await call(`${base}/state`)).json()).toMatchObject({
      generation: 0,
      listening: [{ port: 8080 }],
    });
    const window = await call(`${base}/window?service=shop%2Flive&pool=canary&seconds=30`);
    expect(window.json()).toMatchObject({ seconds: 30, requests: 0, successRate: null });
    expect(stub.windows).toEqual([{ service: 'shop/live', pool: 'canary', seconds: 30 }]);
    expect((await call(`${base}/window?service=shop&pool=canary&seconds=0`)).status).toBe(400);
    expect((await call(`${base}/window?pool=canary`)).status).toBe(400);

    const drain = await call(`${base}/drain`, {
      method: 'POST',
      body: { service: 'shop/live', instanceIds: ['a'], timeoutMs: 500 },
    });
    expect(drain.json()).toEqual({ drained: ['a'], timedOut: [] });
    expect(stub.drains).toEqual([{ service: 'shop/live', instanceIds: ['a'], timeoutMs: 500 }]);
    expect((await call(`${base}/drain`, { method: 'POST', body: { service: 'x' } })).status).toBe(
      400,
    );

    const metrics = await call(`${base}/metrics`);
    expect(metrics.text).toContain('switchyard_router_requests_total');
  });

  it('passes a span of complete seconds and a slow threshold to the window', async () => {
    const { base, stub, client } = await startTcp();
    const span = await call(
      `${base}/window?service=shop%2Flive&pool=canary&from=1700000001&to=1700000010&slowerThanMs=12.5`,
    );
    expect(span.status).toBe(200);
    expect(span.json()).toMatchObject({ from: 1_700_000_001, to: 1_700_000_010, seconds: 10 });
    expect((await call(`${base}/window?service=s&pool=p&to=latest&seconds=5`)).status).toBe(200);
    expect(
      await client.window({
        service: 'shop/live',
        pool: 'stable',
        from: 1_700_000_011,
        to: 'latest',
      }),
    ).toMatchObject({ from: 1_700_000_011, slow: 0 });
    expect(stub.windows).toEqual([
      {
        service: 'shop/live',
        pool: 'canary',
        from: 1_700_000_001,
        to: 1_700_000_010,
        slowerThanMs: 12.5,
      },
      { service: 's', pool: 'p', to: 'latest', seconds: 5 },
      { service: 'shop/live', pool: 'stable', from: 1_700_000_011, to: 'latest' },
    ]);
  });

  it('answers 400 with the usage and each wrong field for a bad window query', async () => {
    const { base, stub } = await startTcp();
    const cases: Array<[string, string]> = [
      ['from=10&to=9', 'from: must not be after `to` (10 > 9)'],
      ['from=10&seconds=5', 'from: give `from` or `seconds`, not both'],
      ['to=soon', 'to:'],
      ['from=1.5', 'from:'],
      ['from=-1', 'from:'],
      ['slowerThanMs=-3', 'slowerThanMs:'],
      ['slowerThanMs=fast', 'slowerThanMs:'],
    ];
    for (const [params, detail] of cases) {
      const response = await call(`${base}/window?service=shop&pool=canary&${params}`);
      expect(response.status, params).toBe(400);
      const { error } = response.json();
      expect(error.code).toBe('ROUTER_ADMIN_FAILED');
      expect(error.message).toMatch(/^GET \/window needs \?service=NAME&pool=NAME/);
      expect(error.details.join('\n'), params).toContain(detail);
    }
    expect(stub.windows).toEqual([]);
  });

  it('refuses to listen on a host that is not loopback', async () => {
    await expect(
      startAdminServer({
        listen: { host: '0.0.0.0', port: 0 },
        token: TOKEN,
        handlers: new StubRouter(),
      }),
    ).rejects.toMatchObject({ code: 'ROUTER_ADMIN_ADDRESS' });
  });
});

describe('admin server over a unix socket, with RouterAdminClient', () => {
  async function tempDir(): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sy-admin-'));
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    return dir;
  }

  it('serves the typed client, with the socket only for its owner', async () => {
    const socketPath = path.join(await tempDir(), 'admin.sock');
    const stub = new StubRouter();
    const server = await startAdminServer({ listen: { socketPath }, token: TOKEN, handlers: stub });
    cleanups.push(() => server.close());
    expect((await fs.stat(socketPath)).mode & 0o777).toBe(0o600);
    const client = new RouterAdminClient({ address: { socketPath }, token: TOKEN });
    cleanups.push(() => client.close());

    expect(await client.healthz()).toEqual({ ok: true });
    expect(await client.putConfig(config(2))).toEqual({ generation: 2 });
    expect(await client.getConfig()).toEqual(config(2));
    expect((await client.getState()).generation).toBe(2);
    expect(await client.window({ service: 'shop/live', pool: 'stable' })).toMatchObject({
      requests: 0,
    });
    expect(await client.drain({ service: 'shop/live', instanceIds: ['a'], timeoutMs: 10 })).toEqual(
      {
        drained: ['a'],
        timedOut: [],
      },
    );
    expect(await client.metrics()).toContain('switchyard_router_requests_total');

    const stale = await client.putConfig(config(1)).catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(SwitchyardError);
    expect(stale).toMatchObject({ code: 'ROUTER_STALE_CONFIG' });
    const invalid = await client
      .putConfig({ ...config(3), generation: -1 })
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({
      code: 'ROUTER_BAD_CONFIG',
      details: ['generation: must not be negative'],
    });

    const intruder = new RouterAdminClient({ address: { socketPath }, token: 'nope' });
    cleanups.push(() => intruder.close());
    await expect(intruder.healthz()).rejects.toMatchObject({ code: 'ROUTER_ADMIN_FAILED' });
  });

  it('replaces a stale socket file but refuses one another router is listening on', async () => {
    const dir = await tempDir();
    const socketPath = path.join(dir, 'admin.sock');
    await fs.writeFile(socketPath, ''); // left behind by a killed router
    const first = await startAdminServer({
      listen: { socketPath },
      token: TOKEN,
      handlers: new StubRouter(),
    });
    cleanups.push(() => first.close());
    await expect(
      startAdminServer({ listen: { socketPath }, token: TOKEN, handlers: new StubRouter() }),
    ).rejects.toMatchObject({ code: 'ROUTER_PORT_IN_USE' });
    await first.close();
    await expect(fs.stat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports an unreachable router as ROUTER_ADMIN_FAILED', async () => {
    const socketPath = path.join(await tempDir(), 'nobody.sock');
    const client = new RouterAdminClient({ address: { socketPath }, token: TOKEN });
    cleanups.push(() => client.close());
    await expect(client.healthz()).rejects.toMatchObject({ code: 'ROUTER_ADMIN_FAILED' });
  });
});

describe('metrics listener', () => {
  it('serves GET /metrics without a token, nothing else, and only on loopback', async () => {
    const listener = await startMetricsListener({
      port: 0,
      metricsText: async () => 'switchyard_router_no_upstream_total{service="x"} 1\n',
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
    });
    cleanups.push(() => listener.close());
    const base = `http://127.0.0.1:${listener.port}`;
    const metrics = await call(`${base}/metrics`, { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('switchyard_router_no_upstream_total');
    expect((await call(`${base}/config`, { token: null })).status).toBe(404);
    expect((await call(`${base}/metrics`, { method: 'POST', token: null })).status).toBe(404);
    await expect(
      startMetricsListener({
        host: '192.0.2.1',
        port: 0,
        metricsText: async () => '',
        contentType: 'text/plain',
      }),
    ).rejects.toMatchObject({ code: 'ROUTER_ADMIN_ADDRESS' });
  });
});
