/**
 * The analysis providers against the real thing: the router as its own
 * process, serving a real upstream, scraped every second by a real
 * Prometheus (Debian's `prometheus`, 2.42). The Prometheus provider must
 * read back what was sent (the router's own counters, through PromQL with
 * placeholders), and the router-window provider must agree with it over
 * complete seconds. Every process here is started by this file and stopped
 * by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  observe,
  observeInterval,
  type ObserveContext,
} from '../../src/analysis/providers/observe.ts';
import type { Observation } from '../../src/analysis/types.ts';
import { RouterAdminClient } from '../../src/router/admin/client.ts';
import { ROUTER_SERVICE_DEFAULTS, routerService } from '../../src/router/config.ts';
import type { MetricSpec } from '../../src/spec/schema/analysis.ts';
import { closeServer, get, listen, refusedPort } from './router-harness.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const ROUTER_BIN = fileURLToPath(new URL('../../src/router/bin.ts', import.meta.url));
const ROUTER_SERVICE = 'shop/live';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A child process of this test, stopped by its PID after the test (SIGTERM, then SIGKILL). */
function startChild(
  command: string,
  args: readonly string[],
): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid!, 'SIGTERM');
    const killer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(killer);
  });
  return { child, output: () => output };
}

/** Retries `attempt` until it returns without throwing, for at most `ms`; then throws its last error. */
async function eventually<T>(ms: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

async function upstream(): Promise<number> {
  const server = http.createServer((request, response) => {
    if (request.url === '/healthz') return void response.writeHead(204).end();
    if (request.url === '/fail') return void response.writeHead(500).end('boom');
    response.writeHead(200).end('ok');
  });
  await listen(server);
  cleanups.push(() => closeServer(server));
  return (server.address() as AddressInfo).port;
}

async function requirePrometheus(): Promise<void> {
  try {
    await fs.access(PROMETHEUS, fsConstants.X_OK);
  } catch {
    throw new Error(
      `This test needs a real Prometheus at ${PROMETHEUS}; install it (Debian: apt-get install -y prometheus) and run it again.`,
    );
  }
}

describe('analysis providers against a real Prometheus and router', () => {
  it('reads the router’s own counters back through PromQL, and the router window agrees', async () => {
    await requirePrometheus();

    // 1. The router as its own process, with a metrics port for Prometheus.
    const stateDir = await tempDir('sy-prom-router-');
    const router = startChild(process.execPath, [
      ROUTER_BIN,
      '--state',
      stateDir,
      '--metrics-port',
      '0',
    ]);
    const info = await eventually(15_000, async () => {
      const parsed = JSON.parse(
        await fs.readFile(path.join(stateDir, 'router', 'router.json'), 'utf8'),
      );
      if (parsed.metrics === undefined) throw new Error('no metrics port yet');
      return parsed as { admin: { socketPath: string }; metrics: { host: string; port: number } };
    }).catch((error: unknown) => {
      throw new Error(`The router did not start: ${String(error)}\n${router.output()}`);
    });
    const token = (await fs.readFile(path.join(stateDir, 'router', 'token'), 'utf8')).trim();
    const admin = new RouterAdminClient({ address: info.admin, token });
    cleanups.push(() => admin.close());

    const stablePort = await upstream();
    const canaryPort = await upstream();
    const listenPort = await refusedPort();
    await admin.putConfig({
      generation: 1,
      services: [
        routerService({
          name: ROUTER_SERVICE,
          listen: { port: listenPort, host: '127.0.0.1' },
          pools: [
            {
              name: 'stable',
              weight: 100,
              instances: [{ id: 'stable-1', host: '127.0.0.1', port: stablePort }],
            },
            {
              name: 'canary',
              weight: 0,
              instances: [{ id: 'canary-1', host: '127.0.0.1', port: canaryPort }],
            },
          ],
          healthCheck: {
            ...ROUTER_SERVICE_DEFAULTS.healthCheck,
            intervalMs: 100,
            healthyThreshold: 1,
          },
          drainTimeoutMs: 1000,
        }),
      ],
    });
    await eventually(15_000, async () => {
      const { health } = await admin.getState();
      if (health.length !== 2 || !health.every((h) => h.healthy))
        throw new Error('not healthy yet');
    });

    // 2. Prometheus scraping the router's metrics listener every second.
    const promDir = await tempDir('sy-prom-');
    const promPort = await refusedPort();
    const address = `http://127.0.0.1:${promPort}`;
    await fs.writeFile(
      path.join(promDir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: switchyard-router',
        `    static_configs: [{ targets: ['${info.metrics.host}:${info.metrics.port}'] }]`,
        '',
      ].join('\n'),
    );
    const prometheus = startChild(PROMETHEUS, [
      `--config.file=${path.join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);

    const context = (overrides: Partial<ObserveContext> = {}): ObserveContext => ({
      service: 'shop',
      environment: 'live',
      revision: 2,
      version: '2.0.0',
      pool: 'canary',
      stablePool: 'stable',
      template: 'errors',
      metricIndex: 0,
      window: admin,
      span: { afterSecond: null, seconds: 60 },
      commandEnv: {},
      ...overrides,
    });
    const promQuery = (query: string): MetricSpec => ({ prometheus: { query, max: 0, address } });
    const ask = (query: string): Promise<Observation> => observe(promQuery(query), context());
    const valueOf = async (query: string): Promise<number> => {
      const observation = await ask(query);
      if (observation.kind !== 'value') throw new Error(JSON.stringify(observation));
      return observation.value;
    };

    await eventually(60_000, async () => {
      const up = await valueOf('up{job="switchyard-router"}');
      if (up !== 1) throw new Error(`the router target is not up yet (${up})`);
    }).catch((error: unknown) => {
      throw new Error(
        `Prometheus did not scrape the router: ${String(error)}\n${prometheus.output()}`,
      );
    });

    // 3. Steady traffic for 8 s: 10 requests a second to the canary (one in
    //    five answered 500 by the upstream) and 10 to stable, all 200.
    const errors5xx = `switchyard_router_requests_total{service="{{routerService}}",pool="{{pool}}",code="5xx"}`;
    const sentErrors: number[] = []; // when each 500 was sent
    let canarySent = 0;
    let stableSent = 0;
    const trafficStart = Date.now();
    const traffic = (async () => {
      for (let tick = 0; Date.now() - trafficStart < 8000; tick++) {
        const fail = tick % 5 === 0;
        const [canary, stable] = await Promise.all([
          get(listenPort, {
            path: fail ? '/fail' : '/',
            headers: { 'x-switchyard-pool': 'canary' },
          }),
          get(listenPort),
        ]);
        expect([canary.status, stable.status]).toEqual([fail ? 500 : 200, 200]);
        canarySent++;
        stableSent++;
        if (fail) sentErrors.push(Date.now());
        await sleep(100 - ((Date.now() - trafficStart) % 100));
      }
    })();
    // While it flows: the 5xx rate over the last 5 s, against what was sent in those seconds.
    await sleep(6500);
    const rate = await valueOf(`sum(rate(${errors5xx}[5s]))`);
    const askedAt = Date.now();
    const expectedRate = sentErrors.filter((at) => at > askedAt - 5000).length / 5;
    await traffic;
    expect(expectedRate).toBeGreaterThan(1);
    expect(Math.abs(rate - expectedRate)).toBeLessThan(expectedRate * 0.4);

    // 4. Once Prometheus has scraped the end of it: the exact counts, and the error ratio.
    const errorsSent = sentErrors.length;
    const all = 'switchyard_router_requests_total{service="{{routerService}}",pool="{{pool}}"}';
    await eventually(15_000, async () => {
      const seen = [await valueOf(`sum(${errors5xx})`), await valueOf(`sum(${all})`)];
      if (seen[0] !== errorsSent || seen[1] !== canarySent)
        throw new Error(
          `Prometheus has ${seen.join(' and ')} of ${errorsSent} and ${canarySent} so far`,
        );
    });
    expect(await ask(`sum(${errors5xx}) / sum(${all})`)).toEqual({
      kind: 'value',
      value: expect.closeTo(errorsSent / canarySent, 9),
      detail: 'the query returned one series {}',
    });

    // 5. No series (stable had no 500s, and `> 0` drops its zero) is inconclusive; a broken query is an error.
    expect(
      await ask(
        'switchyard_router_requests_total{service="{{routerService}}",pool="{{stablePool}}",code="5xx"} > 0',
      ),
    ).toEqual({ kind: 'value', value: NaN, detail: 'the query returned no series' });
    expect(await ask(`sum(rate(${errors5xx}[30s])`)).toEqual({
      kind: 'error',
      message: expect.stringMatching(
        new RegExp(`^Prometheus at ${address} refused the query \\(400 bad_data\\): .*parse error`),
      ),
    });

    // 6. The router's own window, over complete seconds, counts the same requests.
    await sleep(1100); // the last request's second has completed
    const before = Math.floor(Date.now() / 1000);
    const window = await observeInterval({ errorRate: { max: 0.01 } }, context());
    const after = Math.floor(Date.now() / 1000);
    expect(window.observation).toMatchObject({
      kind: 'window',
      sample: { requests: canarySent, errors: errorsSent },
    });
    // The last complete second when it was asked (the router shares this clock).
    expect(window.throughSecond).toBeGreaterThanOrEqual(before - 1);
    expect(window.throughSecond).toBeLessThanOrEqual(after - 1);
    const comparison = await observe(
      { compareWithStable: { errorRate: true, latency: true, confidence: 0.99, minRequests: 20 } },
      context(),
    );
    expect(comparison).toMatchObject({
      kind: 'comparison',
      canary: { requests: canarySent, errors: errorsSent },
      stable: { requests: stableSent, errors: 0 },
      slowThresholdMs: expect.any(Number),
    });
  });
});
