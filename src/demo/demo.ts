/**
 * `switchyard demo`: a self-contained showcase on the local runtime. It runs
 * the real pieces: the router as its own process, instances under the process
 * runtime, and a load generator. It moves traffic from version 1 to version 2
 * and back, and counts failed requests, which must be 0.
 *
 * Until the controller exists, the demo drives the router directly, one
 * config generation per step. That is the same sequence of router updates a
 * blue/green rollout makes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouterConfig, RouterInstance, RouterService } from '../router/config.ts';
import { DEFAULT_OVERRIDE_HEADER } from '../router/config.ts';
import { spawnRouter, type RouterProcess } from '../router/spawn-router.ts';
import { ProcessRuntime } from '../runtime/process/process-runtime.ts';
import { findFreePort } from '../runtime/process/free-port.ts';
import type { InstanceRecord } from '../runtime/runtime.ts';
import { startLoad } from './load-generator.ts';

export interface DemoOptions {
  /** Seconds each phase runs under load before the next switch. */
  readonly phaseSeconds: number;
  readonly print: (line: string) => void;
}

export interface DemoResult {
  readonly sent: number;
  readonly failed: number;
  /** Responses from the old version after a switch had completed (must be 0). */
  readonly strays: number;
  readonly byVersion: Readonly<Record<string, number>>;
}

const SERVICE = 'demo/default';
const REPLICAS = 3;
const demoApp = fileURLToPath(new URL('../../examples/demo-app/server.js', import.meta.url));

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print } = options;
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-demo-'));
  const runtime = new ProcessRuntime({ stateDir });
  const started: InstanceRecord[] = [];
  let router: RouterProcess | undefined;
  let generation = 0;

  const startPool = async (pool: string, version: string): Promise<InstanceRecord[]> => {
    const records: InstanceRecord[] = [];
    for (let i = 0; i < REPLICAS; i += 1) {
      const record = await runtime.start({
        service: 'demo',
        environment: 'default',
        revision: version === 'v1' ? 1 : 2,
        version,
        pool,
        instanceId: `${pool}-${version}-${i}-${Date.now().toString(36)}`,
        command: `"${process.execPath}" "${demoApp}"`,
        env: {},
        stopTimeoutMs: 10_000,
      });
      started.push(record);
      records.push(record);
    }
    print(
      `  started ${REPLICAS} instances of ${version} in pool ${pool}: ports ${records.map((r) => r.port).join(', ')}`,
    );
    return records;
  };

  const stopPool = async (records: readonly InstanceRecord[]): Promise<void> => {
    await Promise.all(records.map((record) => runtime.stop(record)));
    for (const record of records) started.splice(started.indexOf(record), 1);
  };

  try {
    const listenPort = await findFreePort('127.0.0.1');
    print(`Switchyard demo — state in ${stateDir}`);
    router = await spawnRouter({ stateDir });
    print(
      `  router running (pid ${router.pid}), listening for clients on http://127.0.0.1:${listenPort}/`,
    );

    const service = (pools: RouterService['pools']): RouterConfig => ({
      generation: (generation += 1),
      services: [
        {
          name: SERVICE,
          listen: { port: listenPort, host: '127.0.0.1' },
          pools,
          balance: 'round-robin',
          sticky: false,
          overrideHeader: DEFAULT_OVERRIDE_HEADER,
          healthCheck: {
            path: '/healthz',
            intervalMs: 250,
            timeoutMs: 500,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
          },
          drainTimeoutMs: 10_000,
        },
      ],
    });
    const pool = (name: string, weight: number, records: readonly InstanceRecord[]) => ({
      name,
      weight,
      instances: records.map(toRouterInstance),
    });

    print('1. Version 1 goes live');
    const blue = await startPool('blue', 'v1');
    await router.client.putConfig(service([pool('blue', 100, blue)]));
    await router.waitHealthy(
      SERVICE,
      blue.map((r) => r.instanceId),
    );
    print('  all v1 instances passed their health checks');

    const load = startLoad({
      url: `http://127.0.0.1:${listenPort}/`,
      concurrency: 8,
      maxRequests: 200_000,
      maxDurationMs: 120_000,
      pauseMs: 5,
    });
    const report = (label: string) => {
      const s = load.snapshot();
      print(
        `  ${label}: ${s.sent} requests, ${s.failed} failed, by version ${JSON.stringify(s.byVersion)}`,
      );
    };
    await sleep(options.phaseSeconds * 1000);
    report('steady traffic on v1');

    // After a switch and the old pool's drain, every response must come from
    // the new version: count what arrives over a while and say so.
    let strays = 0;
    const expectOnly = async (version: string): Promise<void> => {
      const before = load.snapshot().byVersion;
      await sleep(options.phaseSeconds * 500);
      const after = load.snapshot().byVersion;
      const since = Object.entries(after).map(([v, n]) => [v, n - (before[v] ?? 0)] as const);
      const total = since.reduce((sum, [, n]) => sum + n, 0);
      const others = since.filter(([v, n]) => v !== version && n > 0);
      strays += others.reduce((sum, [, n]) => sum + n, 0);
      print(
        others.length === 0
          ? `  since then: ${total} responses, every one from ${version}`
          : `  since then: ${total} responses, but ${JSON.stringify(Object.fromEntries(others))} came from another version`,
      );
    };

    print('2. Blue/green deploy of version 2');
    const green = await startPool('green', 'v2');
    await router.client.putConfig(service([pool('blue', 100, blue), pool('green', 0, green)]));
    await router.waitHealthy(
      SERVICE,
      green.map((r) => r.instanceId),
    );
    print('  all v2 instances passed their health checks; switching traffic in one router update');
    await router.client.putConfig(service([pool('blue', 0, blue), pool('green', 100, green)]));
    await sleep(options.phaseSeconds * 500);
    await router.client.putConfig(service([pool('green', 100, green)]));
    await router.client.drain({
      service: SERVICE,
      instanceIds: blue.map((r) => r.instanceId),
      timeoutMs: 10_000,
    });
    await stopPool(blue);
    print('  v1 drained and stopped');
    await expectOnly('v2');

    print('3. Rollback to version 1');
    const blueAgain = await startPool('blue', 'v1');
    await router.client.putConfig(service([pool('green', 100, green), pool('blue', 0, blueAgain)]));
    await router.waitHealthy(
      SERVICE,
      blueAgain.map((r) => r.instanceId),
    );
    await router.client.putConfig(service([pool('green', 0, green), pool('blue', 100, blueAgain)]));
    await sleep(options.phaseSeconds * 500);
    await router.client.putConfig(service([pool('blue', 100, blueAgain)]));
    await router.client.drain({
      service: SERVICE,
      instanceIds: green.map((r) => r.instanceId),
      timeoutMs: 10_000,
    });
    await stopPool(green);
    print('  v2 drained and stopped');
    await expectOnly('v1');

    load.stop();
    const result = await load.done;
    print('');
    print(
      `Result: ${result.sent} requests, ${result.failed} failed, by version ${JSON.stringify(result.byVersion)}`,
    );
    for (const failure of result.failures.slice(0, 5)) print(`  failure: ${failure}`);
    return { sent: result.sent, failed: result.failed, strays, byVersion: result.byVersion };
  } finally {
    await Promise.allSettled(started.map((record) => runtime.stop(record, { timeoutMs: 5_000 })));
    if (router) await router.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

function toRouterInstance(record: InstanceRecord): RouterInstance {
  return { id: record.instanceId, host: record.host, port: record.port };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
