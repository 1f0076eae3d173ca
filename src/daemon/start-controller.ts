/**
 * Everything a process needs to run a controller on a state directory: the
 * store, the router (the one already running there, found through
 * `router/router.json`, or a new one), the runtimes, and the Controller
 * itself, started. Used by bin.ts and available to the daemon.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { runtimeCache } from './controller-factory.ts';
import { findRunningRouter } from './router-connection.ts';
import type { RouterAdminClient } from '../router/admin/client.ts';
import { spawnRouter } from '../router/spawn-router.ts';
import type { RouterProcess } from '../router/spawn-router.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { SqliteStateStore } from '../state/sqlite/sqlite-state-store.ts';
import { Controller } from '../controller/controller.ts';
import type { ControllerOptions } from '../controller/controller.ts';
import type { Logger } from '../controller/logger.ts';

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
  let router = (await findRunningRouter(stateDir))?.client;
  if (router === undefined) {
    routerProcess = await spawnRouter({ stateDir });
    router = routerProcess.client;
  }
  const controller = new Controller({
    store,
    stateDir,
    router,
    runtimeFor: runtimeCache(stateDir),
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
