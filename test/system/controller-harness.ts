/**
 * Shared parts of the controller system tests: a temporary state dir with a
 * real router process and store, specs for the test app, a poller with no
 * time bound of its own (vitest's test timeout bounds it), and cleanup that
 * stops exactly what was started, by PID.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadRun } from '../../src/demo/load-generator.ts';
import { spawnRouter } from '../../src/router/spawn-router.ts';
import type { RouterProcess } from '../../src/router/spawn-router.ts';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.ts';
import { parseSpec } from '../../src/spec/index.ts';
import type { ResolvedSpec } from '../../src/spec/index.ts';
import { openStateStore } from '../../src/state/open-state-store.ts';
import type { SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.ts';

export const httpApp = fileURLToPath(new URL('../fixtures/apps/http-app.mjs', import.meta.url));
export const KEY = { service: 'shop', environment: 'default' } as const;

export interface ControllerWorld {
  readonly stateDir: string;
  readonly store: SqliteStateStore;
  readonly router: RouterProcess;
  readonly runtime: ProcessRuntime;
  readonly listen: number;
  readonly preview: number;
  spec(options?: SpecOptions): ResolvedSpec;
  dispose(): Promise<void>;
}

export interface SpecOptions {
  readonly strategy?: string;
  readonly hooks?: string;
  readonly command?: string;
  readonly startupTimeout?: string;
  readonly replicas?: number;
  /** Extra top-level spec lines, e.g. `secrets: [X]`. */
  readonly extra?: string;
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
    spec(options = {}) {
      const command = options.command ?? `"${process.execPath}" "${httpApp}"`;
      const text = [
        'service: shop',
        `runtime: { type: process, command: ${JSON.stringify(command)} }`,
        `replicas: ${options.replicas ?? 2}`,
        `healthCheck: { interval: 200ms, timeout: 150ms, healthyThreshold: 2, startupTimeout: ${options.startupTimeout ?? '60s'} }`,
        `router: { listen: ${listen}, preview: ${preview}, drainTimeout: 5s }`,
        `strategy: ${options.strategy ?? '{ blueGreen: { scaleDownDelay: 1s } }'}`,
        options.hooks ?? '',
        options.extra ?? '',
      ].join('\n');
      return parseSpec({ text, file: 'switchyard.yaml', env: {} });
    },
    async dispose() {
      // Every instance the store still knows, stopped by its recorded identity.
      await Promise.allSettled(
        store
          .listInstances()
          .map(({ record }) =>
            record.handle['pid'] === undefined
              ? Promise.resolve()
              : runtime.stop(record, { timeoutMs: 2_000 }),
          ),
      );
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
  const settled = load.snapshot().ok;
  await until(() => load.snapshot().ok >= settled + 20);
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

/**
 * Instances really running for a state dir: every instance the process
 * runtime starts has a log file named by its id under <state>/logs and
 * carries SWITCHYARD_INSTANCE=<id> in its environment; its supervisor holds
 * that log file open.
 */
export function runningProcesses(
  stateDir: string,
  service: string,
  environment: string,
): { instances: Set<string>; supervisors: number } {
  const logDir = join(stateDir, 'logs', service, environment);
  let ids: string[];
  try {
    ids = readdirSync(logDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => f.slice(0, -'.log'.length));
  } catch {
    ids = [];
  }
  const instances = new Set<string>();
  let supervisors = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const id = env
        .find((v) => v.startsWith('SWITCHYARD_INSTANCE='))
        ?.slice('SWITCHYARD_INSTANCE='.length);
      if (id !== undefined && ids.includes(id)) instances.add(id);
      if (id !== undefined) continue;
      const fds = readdirSync(`/proc/${entry}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      if (fds.some((target) => target.startsWith(`${logDir}/`) && target.endsWith('.log'))) {
        supervisors += 1;
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return { instances, supervisors };
}
