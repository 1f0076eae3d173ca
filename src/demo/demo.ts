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
import { ROUTER_SERVICE_DEFAULTS, routerService } from '../router/config.ts';
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
    const routerProcess = await spawnRouter({ stateDir });
    router = routerProcess;
    print(
      `  router running (pid ${routerProcess.pid}), listening for clients on http://127.0.0.1:${listenPort}/`,
    );

    const service = (pools: RouterService['pools']): RouterConfig => ({
      generation: (generation += 1),
      services: [
        routerService({
          name: SERVICE,
          listen: { port: listenPort, host: '127.0.0.1' },
          pools,
          // Fast checks so the demo moves quickly; a spec's defaults are 1s.
          healthCheck: { ...ROUTER_SERVICE_DEFAULTS.healthCheck, intervalMs: 250 },
          drainTimeoutMs: 10_000,
        }),
      ],
    });
    const pool = (name: string, weight: number, records: readonly InstanceRecord[]) => ({
      name,
      weight,
      instances: records.map(toRouterInstance),
    });

    print('1. Version 1 goes live');
    const blue = await startPool('blue', 'v1');
    await routerProcess.client.putConfig(service([pool('blue', 100, blue)]));
    await routerProcess.waitHealthy(
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

    // One blue/green switch: start the new pool beside the live one at weight
    // 0, wait for its health checks, move all traffic in one router update,
    // then take the old pool out, wait for its drain and stop it.
    const switchTo = async (
      live: { name: string; version: string; records: readonly InstanceRecord[] },
      next: { name: string; version: string },
    ): Promise<InstanceRecord[]> => {
      const records = await startPool(next.name, next.version);
      await routerProcess.client.putConfig(
        service([pool(live.name, 100, live.records), pool(next.name, 0, records)]),
      );
      await routerProcess.waitHealthy(
        SERVICE,
        records.map((r) => r.instanceId),
      );
      print(
        `  all ${next.version} instances passed their health checks; switching traffic in one router update`,
      );
      await routerProcess.client.putConfig(
        service([pool(live.name, 0, live.records), pool(next.name, 100, records)]),
      );
      await sleep(options.phaseSeconds * 500);
      await routerProcess.client.putConfig(service([pool(next.name, 100, records)]));
      await routerProcess.client.drain({
        service: SERVICE,
        instanceIds: live.records.map((r) => r.instanceId),
        timeoutMs: 10_000,
      });
      await stopPool(live.records);
      print(`  ${live.version} drained and stopped`);
      await expectOnly(next.version);
      return records;
    };

    print('2. Blue/green deploy of version 2');
    const green = await switchTo(
      { name: 'blue', version: 'v1', records: blue },
      { name: 'green', version: 'v2' },
    );
    print('3. Rollback to version 1');
    await switchTo(
      { name: 'green', version: 'v2', records: green },
      { name: 'blue', version: 'v1' },
    );

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
