/**
 * Everything a process needs to run a controller on a state directory: the
 * store, the router (the one already running there, found through
 * `router/router.json`, or a new one), the runtimes, and the Controller
 * itself, started. Used by bin.ts and available to the daemon.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { RouterAdminClient } from '../router/admin/client.ts';
import type { AdminAddress } from '../router/admin/types.ts';
import { routerPaths } from '../router/config-file.ts';
import { spawnRouter } from '../router/spawn-router.ts';
import type { RouterProcess } from '../router/spawn-router.ts';
import { createRuntime } from '../runtime/create-runtime.ts';
import type { RuntimeType } from '../runtime/create-runtime.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { SqliteStateStore } from '../state/sqlite/sqlite-state-store.ts';
import { Controller } from './controller.ts';
import type { ControllerOptions } from './controller.ts';
import type { Logger } from './logger.ts';

export interface StartControllerOptions {
  readonly stateDir: string;
  /** Default: `controller@<host>:<stateDir>`, the same after every restart. */
  readonly holderId?: string;
  readonly logger?: Logger;
  readonly tickMs?: number;
  readonly clock?: ControllerOptions['clock'];
}

export interface RunningController {
  readonly controller: Controller;
  readonly store: SqliteStateStore;
  readonly router: RouterAdminClient;
  /** Set when this call started the router (none was running). */
  readonly routerProcess: RouterProcess | undefined;
  /** Stops the loop and closes the store and the admin client; leaves the router and instances running. */
  close(): Promise<void>;
}

export async function startController(options: StartControllerOptions): Promise<RunningController> {
  const stateDir = resolve(options.stateDir);
  const store = openStateStore({ dir: stateDir });
  let routerProcess: RouterProcess | undefined;
  let router = await connectRouter(stateDir);
  if (router === undefined) {
    routerProcess = await spawnRouter({ stateDir });
    router = routerProcess.client;
  }
  const runtimes = new Map<string, Runtime>();
  const runtimeFor = (type: string): Runtime => {
    let runtime = runtimes.get(type);
    if (runtime === undefined) {
      runtime = createRuntime({ type: type as RuntimeType, stateDir });
      runtimes.set(type, runtime);
    }
    return runtime;
  };
  const controller = new Controller({
    store,
    stateDir,
    router,
    runtimeFor,
    holderId: options.holderId ?? `controller@${hostname()}:${stateDir}`,
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.tickMs !== undefined && { tickMs: options.tickMs }),
    ...(options.clock !== undefined && { clock: options.clock }),
  });
  await controller.start();
  const client = router;
  return {
    controller,
    store,
    router: client,
    routerProcess,
    async close() {
      await controller.stop();
      await client.close();
      store.close();
    },
  };
}

/** A client of the router running on the state dir, or undefined when none runs. */
export async function connectRouter(stateDir: string): Promise<RouterAdminClient | undefined> {
  const paths = routerPaths(stateDir);
  let info: { pid?: number; admin?: AdminAddress };
  try {
    info = JSON.parse(await readFile(paths.info, 'utf8')) as typeof info;
  } catch {
    return undefined;
  }
  if (info.pid === undefined || info.admin === undefined || !alive(info.pid)) return undefined;
  const token = (await readFile(paths.token, 'utf8')).trim();
  const client = new RouterAdminClient({ address: info.admin, token });
  try {
    await client.healthz();
    return client;
  } catch {
    await client.close();
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
