/**
 * `switchyard demo`: a self-contained showcase on the local runtime, on the
 * real pieces: in a temporary state dir it starts the controller and the
 * router the way the daemon does, deploys version 1 of the demo app
 * (examples/demo-app) with 3 instances, then runs a blue/green deploy of
 * version 2 and a rollback while the built-in load generator sends steady
 * traffic (keep-alive, new connections, and slow requests in flight). It
 * prints each step as the controller records it, counts failed requests
 * (which must be 0), checks that after each switch every response comes from
 * the new version, and leaves nothing running: every instance, the router,
 * the controller and the temp dir go, also on Ctrl-C and on errors.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startController } from '../daemon/start-controller.ts';
import type { RunningController } from '../daemon/start-controller.ts';
import { routerPaths } from '../router/config-file.ts';
import { findFreePort } from '../runtime/process/free-port.ts';
import { ProcessRuntime } from '../runtime/process/process-runtime.ts';
import { stopRecordedProcesses } from '../runtime/process/stop-recorded.ts';
import { parseSpec } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import { isFinal } from '../state/index.ts';
import type { Rollout, StoredEvent } from '../state/store.ts';
import { startLoad } from './load-generator.ts';
import type { LoadRun } from './load-generator.ts';

export interface DemoOptions {
  /** Seconds of steady traffic before each step, and of checking after each switch. */
  readonly phaseSeconds: number;
  readonly print: (line: string) => void;
  /** Redraw a live status line (a terminal); plain lines otherwise. */
  readonly status?: (line: string | undefined) => void;
  /** Aborted (e.g. on Ctrl-C): the demo stops, cleans up and throws. */
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly sent: number;
  readonly failed: number;
  /** Responses from the old version after a switch had completed (must be 0). */
  readonly strays: number;
  readonly byVersion: Readonly<Record<string, number>>;
}

const KEY = { service: 'demo', environment: 'default' } as const;
const REPLICAS = 3;
const demoApp = fileURLToPath(new URL('../../examples/demo-app/server.js', import.meta.url));

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print, signal } = options;
  const status = options.status ?? (() => undefined);
  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  const say = (line: string) => {
    status(undefined);
    print(line);
  };
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-demo-'));
  let running: RunningController | undefined;
  let load: LoadRun | undefined;
  const watching = new AbortController();
  let watcher: Promise<void> | undefined;

  try {
    say(`Switchyard demo — state in ${stateDir}`);
    running = await startController({ stateDir, tickMs: 100 });
    const { controller, store } = running;
    const routerPid = running.routerProcess?.pid ?? (await routerPidIn(stateDir));
    const listen = await findFreePort('127.0.0.1');
    let preview = await findFreePort('127.0.0.1');
    while (preview === listen) preview = await findFreePort('127.0.0.1');
    say(`  controller started; router running (pid ${routerPid})`);
    say(
      `  clients: http://127.0.0.1:${listen}/   preview of a new version: http://127.0.0.1:${preview}/`,
    );
    const spec = demoSpec(listen, preview);

    // Every event the controller records, printed as it happens; the ports of
    // every instance it starts, printed once.
    const seenInstances = new Set<string>();
    const showEvents = () => {
      for (const event of store.listEvents({ ...KEY, afterId: lastEvent })) {
        lastEvent = event.id;
        say(`${stamp()} ${eventLine(event)}`);
      }
      const fresh = store
        .listInstances(KEY)
        .filter((i) => !seenInstances.has(i.record.instanceId) && i.record.port > 0);
      for (const byPool of groupBy(fresh, (i) => `${i.record.version} ${i.record.pool}`)) {
        const first = byPool[0];
        if (first === undefined || byPool.length < REPLICAS) continue;
        for (const i of byPool) seenInstances.add(i.record.instanceId);
        say(
          `${stamp()}   ${first.record.version} in pool ${first.record.pool}: ports ${byPool.map((i) => i.record.port).join(', ')}`,
        );
      }
      if (load !== undefined) {
        const s = load.snapshot();
        status(
          `  live: ${s.sent} requests, ${s.failed} failed, ${s.inFlight} in flight, by version ${JSON.stringify(s.byVersion)}`,
        );
      }
    };
    let lastEvent = 0;
    watcher = (async () => {
      while (!watching.signal.aborted) {
        showEvents();
        await delay(100, undefined, { signal: watching.signal }).catch(() => undefined);
      }
      showEvents();
    })();

    const until = async <T>(check: () => T | undefined | false): Promise<T> => {
      for (;;) {
        signal?.throwIfAborted();
        const value = check();
        if (value !== undefined && value !== false) return value;
        await delay(50, undefined, signal ? { signal } : {});
      }
    };
    const pause = (seconds: number) => delay(seconds * 1000, undefined, signal ? { signal } : {});
    const rollout = (id: number) => store.getRollout(id) as Rollout;
    const phase = (id: number) =>
      (rollout(id).data as { strategy?: { phase?: string } }).strategy?.phase;
    const finished = async (id: number): Promise<Rollout> => {
      const done = await until(() => isFinal(rollout(id).status) && rollout(id));
      await delay(150); // let the watcher print the last events first
      return done;
    };
    const liveCounts = (label: string) => {
      if (load === undefined) return;
      const s = load.snapshot();
      say(
        `${stamp()} ${label}: ${s.sent} requests, ${s.failed} failed, by version ${JSON.stringify(s.byVersion)}`,
      );
    };

    // After a switch: once the new version answers through the router and
    // every request sent before that has come back, count what arrives for
    // a while; any response from another version is a stray.
    let strays = 0;
    const expectOnly = async (version: string): Promise<void> => {
      const run = load as LoadRun;
      await until(() => run.snapshot().lastVersion === version);
      const mark = run.snapshot().sent;
      await until(() => {
        const oldest = run.snapshot().oldestInFlight;
        return oldest === undefined || oldest > mark;
      });
      const before = run.snapshot();
      await pause(Math.max(1, options.phaseSeconds / 2));
      await until(() => run.snapshot().ok >= before.ok + 50);
      const after = run.snapshot();
      const since = Object.entries(after.byVersion).map(
        ([v, n]) => [v, n - (before.byVersion[v] ?? 0)] as const,
      );
      const total = since.reduce((sum, [, n]) => sum + n, 0);
      const others = since.filter(([v, n]) => v !== version && n > 0);
      strays += others.reduce((sum, [, n]) => sum + n, 0);
      say(
        others.length === 0
          ? `${stamp()} after the switch: ${total} responses, every one from ${version}`
          : `${stamp()} after the switch: ${total} responses, but ${JSON.stringify(Object.fromEntries(others))} came from another version`,
      );
    };

    say('');
    say('1. Version 1 goes live (3 instances)');
    const first = await controller.deploy({ ...KEY, version: 'v1', spec, requestedBy: 'demo' });
    const firstDone = await finished(first.id);
    if (firstDone.status !== 'succeeded')
      throw new Error(`the deploy of v1 ended ${firstDone.status}: ${firstDone.reason ?? ''}`);

    load = startLoad({
      url: `http://127.0.0.1:${listen}/`,
      concurrency: 8,
      maxRequests: 1_000_000,
      maxDurationMs: 110_000,
      pauseMs: 5,
      slowEvery: 10,
      slowMs: 300,
    });
    say(
      `${stamp()} load started: 8 clients (half keep-alive, half a new connection per request), every 10th request takes 300 ms`,
    );
    await pause(options.phaseSeconds);
    liveCounts('steady traffic on v1');

    // One blue/green rollout: the new pool starts beside the live one, is
    // previewed, and takes all traffic on promote; the old pool is drained
    // and stopped after scaleDownDelay.
    const blueGreen = async (id: number, version: string): Promise<void> => {
      await until(() => phase(id) === 'awaitingPromote' || isFinal(rollout(id).status));
      if (phase(id) !== 'awaitingPromote')
        throw new Error(`the rollout of ${version} ended ${rollout(id).status} before promote`);
      const previewed = await versionAt(preview);
      say(`${stamp()} preview listener answers with ${previewed ?? 'nothing'}`);
      await pause(options.phaseSeconds / 2);
      liveCounts('before the switch');
      say(`${stamp()} promote: switch all traffic to ${version}`);
      await controller.promote(KEY, { full: false });
      await expectOnly(version);
      liveCounts('after the switch');
      const done = await finished(id);
      if (done.status !== 'succeeded')
        throw new Error(`the rollout of ${version} ended ${done.status}: ${done.reason ?? ''}`);
      liveCounts(`${version} live; the old pool drained and stopped`);
    };

    say('');
    say('2. Blue/green deploy of version 2');
    const second = await controller.deploy({ ...KEY, version: 'v2', spec, requestedBy: 'demo' });
    await blueGreen(second.id, 'v2');

    say('');
    say('3. Rollback to version 1');
    const back = await controller.rollback(KEY, { requestedBy: 'demo' });
    say(
      `${stamp()} rollback requested: v1's pool is already stopped, so rollout ${back.id} starts ${back.version} again beside v2`,
    );
    await blueGreen(back.id, 'v1');

    load.stop();
    const result = await load.done;
    watching.abort();
    await watcher;
    say('');
    say(
      `Result: ${result.sent} requests, ${result.failed} failed, by version ${JSON.stringify(result.byVersion)}`,
    );
    for (const failure of result.failures.slice(0, 5)) say(`  failure: ${failure}`);
    say(`  ran for ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return { sent: result.sent, failed: result.failed, strays, byVersion: result.byVersion };
  } finally {
    status(undefined);
    load?.stop();
    await load?.done;
    watching.abort();
    await watcher;
    await cleanUp(stateDir, running);
  }
}

/** Stops the controller, every instance the store lists, the router; removes the state dir. */
async function cleanUp(stateDir: string, running: RunningController | undefined): Promise<void> {
  if (running !== undefined) {
    await running.controller.stop().catch(() => undefined);
    const records = running.store.listInstances().map((instance) => instance.record);
    await stopRecordedProcesses(new ProcessRuntime({ stateDir }), records, { timeoutMs: 3_000 });
    await running.close().catch(() => undefined);
  }
  if (running?.routerProcess !== undefined) {
    await running.routerProcess.stop(5_000).catch(() => undefined);
  } else {
    // startController failed after it spawned the router, or found one: stop it by its PID.
    const pid = await routerPidIn(stateDir).catch(() => undefined);
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  await rm(stateDir, { recursive: true, force: true });
}

function demoSpec(listen: number, preview: number): ResolvedSpec {
  const text = [
    'service: demo',
    `runtime: { type: process, command: ${JSON.stringify(`"${process.execPath}" "${demoApp}"`)} }`,
    'port: 3000',
    `replicas: ${REPLICAS}`,
    'healthCheck: { path: /healthz, interval: 200ms, timeout: 150ms, healthyThreshold: 2, unhealthyThreshold: 2, startupTimeout: 30s }',
    `router: { listen: ${listen}, preview: ${preview}, drainTimeout: 5s }`,
    'strategy: { blueGreen: { scaleDownDelay: 2s } }',
  ].join('\n');
  return parseSpec({ text, file: 'demo (built in)', env: {} });
}

/** One line for an event: its type, then its message. */
function eventLine(event: StoredEvent): string {
  return `${event.type.padEnd(17)} ${event.message}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return [...groups.values()];
}

async function routerPidIn(stateDir: string): Promise<number | undefined> {
  try {
    const info = JSON.parse(await readFile(routerPaths(stateDir).info, 'utf8')) as {
      pid?: number;
    };
    return info.pid;
  } catch {
    return undefined;
  }
}

async function versionAt(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`);
    return ((await response.json()) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
