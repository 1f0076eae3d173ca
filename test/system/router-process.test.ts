/**
 * The router as its own process: configured through the admin API, serving
 * real upstreams, killed with SIGKILL and started again on the same state
 * directory — where it must serve the saved config at once — then stopped
 * with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { RouterAdminClient } from '../../src/router/admin/client.ts';
import {
  ROUTER_SERVICE_DEFAULTS,
  routerService,
  type RouterConfig,
} from '../../src/router/config.ts';
import { closeServer, listen, refusedPort } from './router-harness.ts';

const BIN = fileURLToPath(new URL('../../src/router/bin.ts', import.meta.url));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An HTTP server on a loopback port, closed after the test. */
async function serve(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await listen(server);
  cleanups.push(() => closeServer(server));
  return (server.address() as AddressInfo).port;
}

function startUpstream(name: string): Promise<number> {
  return serve((request, response) => {
    if (request.url === '/healthz') {
      response.writeHead(204).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end(`hello from ${name}`);
  });
}

async function tempStateDir(): Promise<string> {
  const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sy-router-'));
  cleanups.push(() => fs.rm(stateDir, { recursive: true, force: true }));
  return stateDir;
}

/** The router's admin client, once it has written its token and answers (or with the token given). */
async function connectAdmin(
  stateDir: string,
  knownToken?: string,
): Promise<{ admin: RouterAdminClient; token: string }> {
  const token =
    knownToken ??
    (await eventually(async () =>
      (await fs.readFile(path.join(stateDir, 'router', 'token'), 'utf8')).trim(),
    ));
  const admin = new RouterAdminClient({ address: { socketPath: adminSocket(stateDir) }, token });
  cleanups.push(() => admin.close());
  await eventually(() => admin.healthz());
  return { admin, token };
}

function adminSocket(stateDir: string): string {
  return path.join(stateDir, 'router', 'admin.sock');
}

interface RouterChild {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnRouter(stateDir: string): RouterChild {
  const child = spawn(process.execPath, [BIN, '--state', stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    // Stop exactly this child, if the test has not already.
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  });
  return { child, output: () => output, exited };
}

/** Retries `attempt` until it resolves; the test timeout bounds the wait. */
async function eventually<T>(attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** One GET on a fresh connection, so no socket from before a restart is reused. */
async function get(port: number, pathname = '/'): Promise<{ status: number; body: string }> {
  const client = new Client(`http://127.0.0.1:${port}`);
  try {
    const response = await client.request({ method: 'GET', path: pathname });
    return { status: response.statusCode, body: await response.body.text() };
  } finally {
    await client.close();
  }
}

describe('router process', () => {
  it('serves its saved config at once after SIGKILL, and exits 0 on SIGTERM', async () => {
    const stateDir = await tempStateDir();
    const blue = await startUpstream('blue');
    const green = await startUpstream('green');
    const listenPort = await refusedPort();
    const socketPath = adminSocket(stateDir);

    const config: RouterConfig = {
      generation: 1,
      services: [
        routerService({
          name: 'shop/live',
          listen: { port: listenPort, host: '127.0.0.1' },
          pools: [
            {
              name: 'stable',
              weight: 100,
              instances: [
                { id: 'blue-1', host: '127.0.0.1', port: blue },
                { id: 'green-1', host: '127.0.0.1', port: green },
              ],
            },
          ],
          healthCheck: { ...ROUTER_SERVICE_DEFAULTS.healthCheck, intervalMs: 100, timeoutMs: 1000 },
          drainTimeoutMs: 2000,
        }),
      ],
    };

    // 1. First run: configure through the admin API and wait for health.
    const first = spawnRouter(stateDir);
    const { admin, token } = await connectAdmin(stateDir);
    const info = JSON.parse(
      await fs.readFile(path.join(stateDir, 'router', 'router.json'), 'utf8'),
    );
    expect(info).toMatchObject({ pid: first.child.pid, admin: { socketPath } });

    expect(await admin.putConfig(config)).toEqual({ generation: 1 });
    await eventually(async () => {
      const state = await admin.getState();
      if (state.health.length !== 2 || !state.health.every((h) => h.healthy))
        throw new Error('not healthy yet');
    });
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const response = await get(listenPort);
      expect(response.status).toBe(200);
      bodies.add(response.body);
    }
    expect(bodies).toEqual(new Set(['hello from blue', 'hello from green']));

    // The healthy set is saved with the config (written after the health change).
    await eventually(async () => {
      const saved = JSON.parse(
        await fs.readFile(path.join(stateDir, 'router', 'config.json'), 'utf8'),
      );
      expect(saved.config).toEqual(config);
      expect([...saved.healthy['shop/live']].sort()).toEqual(['blue-1', 'green-1']);
    });

    // 2. SIGKILL: no chance to clean up.
    process.kill(first.child.pid!, 'SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await admin.close();

    // 3. Second run on the same state dir: serves at once, without a new PUT.
    const second = spawnRouter(stateDir);
    // The token from the first run still works.
    const { admin: again } = await connectAdmin(stateDir, token);
    const firstResponse = await get(listenPort);
    expect(firstResponse.status).toBe(200);
    expect(firstResponse.body).toMatch(/^hello from (blue|green)$/);
    expect(await again.getConfig()).toEqual(config);

    const metrics = await again.metrics();
    expect(metrics).toMatch(
      /switchyard_router_requests_total\{service="shop\/live",pool="stable",instance="(blue|green)-1",code="2xx"\} 1/,
    );
    const window = await again.window({ service: 'shop/live', pool: 'stable' });
    expect(window).toMatchObject({ requests: 1, errors: 0, successRate: 1 });

    // 4. SIGTERM: a clean stop, exit 0, router.json removed.
    process.kill(second.child.pid!, 'SIGTERM');
    const exit = await second.exited;
    expect({ exit, output: exit.code === 0 ? '' : second.output() }).toEqual({
      exit: { code: 0, signal: null },
      output: '',
    });
    await expect(fs.stat(path.join(stateDir, 'router', 'router.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('lets a request in flight finish on SIGTERM while refusing new connections', async () => {
    const stateDir = await tempStateDir();
    let release: () => void = () => undefined;
    let slowArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (slowArrived = resolve));
    const slowPort = await serve((request, response) => {
      // Only /slow is held; anything else (like the probes for refusal below) answers at once.
      if (request.url !== '/slow') return void response.writeHead(200).end('ok');
      slowArrived();
      release = () => response.writeHead(200).end('slow but complete');
    });
    const listenPort = await refusedPort();
    const router = spawnRouter(stateDir);
    const { admin } = await connectAdmin(stateDir);
    await admin.putConfig({
      generation: 1,
      services: [
        routerService({
          name: 'slow/live',
          listen: { port: listenPort, host: '127.0.0.1' },
          pools: [
            {
              name: 'stable',
              weight: 1,
              instances: [{ id: 's-1', host: '127.0.0.1', port: slowPort }],
            },
          ],
          balance: 'least-requests',
          healthCheck: {
            ...ROUTER_SERVICE_DEFAULTS.healthCheck,
            intervalMs: 100,
            timeoutMs: 1000,
            healthyThreshold: 1,
          },
          drainTimeoutMs: 60_000,
        }),
      ],
    });
    await eventually(async () => {
      if (!(await admin.getState()).health[0]?.healthy) throw new Error('not healthy yet');
    });

    const inFlight = get(listenPort, '/slow');
    await arrived;
    process.kill(router.child.pid!, 'SIGTERM');
    // New connections are refused once the listener closes...
    await eventually(async () => {
      const refused = await get(listenPort).then(
        () => false,
        () => true,
      );
      if (!refused) throw new Error('still accepting');
    });
    // ...while the request in flight still gets its answer.
    release();
    expect(await inFlight).toEqual({ status: 200, body: 'slow but complete' });
    expect((await router.exited).code).toBe(0);
  });

  it('starts with no services when the saved config is corrupt, and says so', async () => {
    const stateDir = await tempStateDir();
    await fs.mkdir(path.join(stateDir, 'router'), { recursive: true });
    await fs.writeFile(
      path.join(stateDir, 'router', 'config.json'),
      '{"format": 1, "config": {"generat',
    );
    const router = spawnRouter(stateDir);
    const { admin } = await connectAdmin(stateDir);
    expect(await admin.getState()).toMatchObject({ generation: 0, health: [], listening: [] });
    expect(router.output()).toContain('is not valid JSON; starting with no services');
    process.kill(router.child.pid!, 'SIGTERM');
    expect((await router.exited).code).toBe(0);
  });
});
