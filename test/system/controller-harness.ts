/**
 * Shared parts of the controller system tests and the reliability suite: a
 * temporary state dir with a real router process and store, specs for the
 * test app, the controller in this process or as a child process
 * (src/daemon/controller-bin.ts), steady load through the router, a poller with no
 * time bound of its own (vitest's test timeout bounds it), the store's
 * instances checked against /proc, and cleanup that stops exactly what was
 * started, by PID.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { Controller } from '../../src/controller/controller.ts';
import { ControllerCommands } from '../../src/controller/controller-commands.ts';
import { startLoad } from '../../src/demo/load-generator.ts';
import type { LoadOptions, LoadRun } from '../../src/demo/load-generator.ts';
import { spawnRouter } from '../../src/router/spawn-router.ts';
import type { RouterProcess } from '../../src/router/spawn-router.ts';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.ts';
import { stopRecordedProcesses } from '../../src/runtime/process/stop-recorded.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { parseSpec } from '../../src/spec/index.ts';
import type { ResolvedSpec } from '../../src/spec/index.ts';
import { openStateStore } from '../../src/state/open-state-store.ts';
import { isFinal } from '../../src/state/index.ts';
import type { SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.ts';
import type { Rollout, ServiceEnv, StoredEvent } from '../../src/state/store.ts';
import { httpAppCommand } from '../support/apps.ts';
import { runningProcesses } from '../support/processes.ts';
import { worldSpecText } from '../support/world-spec.ts';
import type { WorldSpecOptions } from '../support/world-spec.ts';

export const KEY = { service: 'shop', environment: 'default' } as const;

/** What the worlds (this one and container-world.ts) read about a rollout from their store. */
export interface RolloutQueries {
  /** The stored rollout (it must exist). */
  rollout(id: number): Rollout;
  /** The blue/green phase the rollout's data records, if any. */
  phase(id: number): string | undefined;
  /** Waits until the rollout has ended (succeeded, failed, aborted or rolled back). */
  finished(id: number): Promise<Rollout>;
  /** The rollout's events of one type. */
  events(id: number, type: string): StoredEvent[];
}

export function rolloutQueries(store: SqliteStateStore, key: ServiceEnv): RolloutQueries {
  const rollout = (id: number): Rollout => store.getRollout(id) as Rollout;
  return {
    rollout,
    phase: (id) => (rollout(id).data as { strategy?: { phase?: string } }).strategy?.phase,
    finished: (id) =>
      until(() => {
        const r = rollout(id);
        return isFinal(r.status) && r;
      }),
    events: (id, type) =>
      store.listEvents({ ...key, rolloutId: id }).filter((event) => event.type === type),
  };
}

export interface ControllerWorld extends RolloutQueries {
  readonly stateDir: string;
  readonly store: SqliteStateStore;
  readonly router: RouterProcess;
  readonly runtime: ProcessRuntime;
  readonly listen: number;
  readonly preview: number;
  spec(options?: SpecOptions): ResolvedSpec;
  dispose(): Promise<void>;
}

export interface SpecOptions extends WorldSpecOptions {
  /** Hook lines, e.g. `hooks: { preDeploy: "…" }`. */
  readonly hooks?: string;
  /** Default the test app (test/support/apps.ts). */
  readonly command?: string;
}

export async function createWorld(): Promise<ControllerWorld> {
  const stateDir = await mkdtemp(join(tmpdir(), 'switchyard-controller-'));
  const router = await spawnRouter({ stateDir });
  const store = openStateStore({ dir: stateDir });
  const runtime = new ProcessRuntime({ stateDir });
  const listen = await findFreePort('127.0.0.1');
  let preview = await findFreePort('127.0.0.1');
  while (preview === listen) preview = await findFreePort('127.0.0.1');
  return {
    stateDir,
    store,
    router,
    runtime,
    listen,
    preview,
    spec({ command = httpAppCommand, hooks = '', extra = '', ...options } = {}) {
      const runtimeLine = `runtime: { type: process, command: ${JSON.stringify(command)} }`;
      const text = worldSpecText(
        { service: KEY.service, runtime: [runtimeLine], listen, preview },
        { ...options, extra: `${hooks}\n${extra}` },
      );
      return parseSpec({ text, file: 'switchyard.yaml', env: {} });
    },
    ...rolloutQueries(store, KEY),
    async dispose() {
      // Every instance the store still knows, stopped by its recorded identity.
      const records = store.listInstances().map((instance) => instance.record);
      await stopRecordedProcesses(runtime, records, { timeoutMs: 2_000 });
      store.close();
      await router.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value other than undefined/false. */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  everyMs = 50,
): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await sleep(everyMs);
  }
}

/** The version answering on a port right now. */
export async function versionAt(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`);
    return ((await response.json()) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * After a switch: once `version` answers through the router and the
 * requests sent before the switch have come back, the next `count`
 * responses of the load all come from `version`. Returns them by version.
 */
export async function expectOnly(
  load: LoadRun,
  version: string,
  count = 100,
): Promise<Record<string, number>> {
  await until(() => load.snapshot().lastVersion === version);
  // Every request sent until now has come back (the oldest in flight is newer).
  const mark = load.snapshot().sent;
  await until(() => {
    const oldest = load.snapshot().oldestInFlight;
    return oldest === undefined || oldest > mark;
  });
  const before = load.snapshot();
  await until(() => load.snapshot().ok >= before.ok + count);
  const after = load.snapshot();
  const delta: Record<string, number> = {};
  for (const [v, n] of Object.entries(after.byVersion)) {
    const d = n - (before.byVersion[v] ?? 0);
    if (d > 0) delta[v] = d;
  }
  return delta;
}

/** A Controller in this process on a world's store, router and runtime (processes or containers), started. */
export async function startInProcessController(
  world: Pick<ControllerWorld, 'store' | 'stateDir' | 'router'> & { readonly runtime: Runtime },
  holderId: string,
): Promise<Controller> {
  const controller = new Controller({
    store: world.store,
    stateDir: world.stateDir,
    router: world.router.client,
    runtimeFor: () => world.runtime,
    holderId,
    tickMs: 50,
  });
  await controller.start();
  return controller;
}

/**
 * What the control API does for a controller in another process: writes
 * intents (deploy, promote, abort) to the same store, for its loop to act on.
 */
export function commandsFor(world: ControllerWorld, holderId: string): ControllerCommands {
  return new ControllerCommands({
    store: world.store,
    holderId,
    runtimeFor: () => world.runtime,
  });
}

export interface ControllerChild {
  readonly pid: number;
  /** Sends `signal` and waits for the exit; nothing when it has already exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const controllerBin = fileURLToPath(new URL('../../src/daemon/controller-bin.ts', import.meta.url));

/**
 * Starts src/daemon/controller-bin.ts on a state dir and waits for its ready line.
 * Its output is read all along (the last 4000 characters of stderr are kept
 * for the error), so it never blocks on a full pipe.
 */
export async function startControllerProcess(
  stateDir: string,
  holder: string,
): Promise<ControllerChild> {
  const proc = spawn(
    process.execPath,
    [controllerBin, '--state', stateDir, '--holder', holder, '--tick-ms', '50'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      if (out.includes('"ready":true')) return;
      out += chunk.toString();
      if (out.includes('"ready":true')) resolve();
    });
    proc.once('exit', (code) =>
      reject(new Error(`the controller exited (${code}) before it was ready: ${err}`)),
    );
  });
  proc.removeAllListeners('exit');
  return {
    pid: proc.pid as number,
    async kill(signal) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill(signal);
      await exited;
    },
  };
}

/**
 * A test file's afterAll: stops the load and waits for its last requests,
 * then the controller, then the world. Each may be missing (a beforeAll that
 * failed started less).
 */
export async function stopStarted(started: {
  readonly load?: LoadRun | undefined;
  readonly controller?: Controller | undefined;
  readonly world?: { dispose(): Promise<void> } | undefined;
}): Promise<void> {
  started.load?.stop();
  await started.load?.done;
  await started.controller?.stop();
  await started.world?.dispose();
}

/** Steady load through the router: 4 loops, 5 ms apart, bounded at 10 minutes. */
export function startLiveLoad(port: number, options: Partial<LoadOptions> = {}): LoadRun {
  return startLoad({
    url: `http://127.0.0.1:${port}/`,
    concurrency: 4,
    maxRequests: 10_000_000,
    maxDurationMs: 600_000,
    pauseMs: 5,
    ...options,
  });
}

/**
 * No orphan: once the instances being retired have finished their drain and
 * stopped, the instances (and their supervisors) running for the world's
 * state dir are exactly the ones the store holds.
 */
export async function expectNoOrphans(world: ControllerWorld): Promise<void> {
  await until(() => world.store.listInstances(KEY).every((i) => i.desired));
  const stored = new Set(world.store.listInstances(KEY).map((i) => i.record.instanceId));
  const running = await until(() => {
    const now = runningProcesses(world.stateDir, KEY.service, KEY.environment);
    return now.instances.size === stored.size && now.supervisors === stored.size && now;
  }, 100);
  expect([...running.instances].sort()).toEqual([...stored].sort());
}
