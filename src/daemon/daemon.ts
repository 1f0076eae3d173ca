/**
 * The daemon `switchyard up` runs: the state store, the router (found or
 * started detached), the controller and the control API, for every service
 * deployed to this state directory. Stopping it leaves the router and the
 * instances running: the data plane keeps serving, and the next `up`
 * resumes any rollout in flight from the store. While it runs, it starts the
 * router again if the router dies (router-watchdog.ts).
 */
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { pino, type Logger } from 'pino';
import type { ControllerLifecycle } from '../controller/control-plane.ts';
import { createApiServer } from '../server/api-server.ts';
import { openStateStore } from '../state/open-state-store.ts';
import type { StateStore } from '../state/store.ts';
import { writeApiInfo } from './api-info.ts';
import { createController, type ControllerFactory } from './controller-factory.ts';
import { daemonPaths, type DaemonPaths } from './paths.ts';
import { claimPidFile, releasePidFile } from './pid-file.ts';
import { isAlive } from './process-check.ts';
import { connectRouter, type RouterConnection } from './router-connection.ts';
import { watchRouter } from './router-watchdog.ts';
import { readOrCreateToken } from '../router/admin/token-file.ts';

export const DEFAULT_API_HOST = '127.0.0.1';

export interface DaemonOptions {
  readonly stateDir: string;
  /** Default 127.0.0.1: the API is reachable from other machines only when asked for. */
  readonly host?: string;
  /** Default 0: a free port, written to `api.json` for the CLI to find. */
  readonly port?: number;
  readonly logger?: Logger;
  /** Default: the real controller. Tests pass a ControlPlane double. */
  readonly createControl?: ControllerFactory;
}

export interface Daemon {
  readonly url: string;
  readonly paths: DaemonPaths;
  /** Resolves when POST /v1/shutdown asks the daemon to stop. */
  readonly shutdownRequested: Promise<void>;
  /** Stops the API and the controller; the router and instances keep running. */
  stop(): Promise<void>;
}

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const paths = daemonPaths(options.stateDir);
  const logger =
    options.logger ??
    pino({ name: 'switchyard', level: process.env['SWITCHYARD_LOG_LEVEL'] ?? 'info' });
  await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await claimPidFile(paths);

  // Undone in reverse order on stop, or when a later step fails.
  const undo: (() => Promise<void> | void)[] = [() => releasePidFile(paths)];
  const unwind = async () => {
    for (const step of undo.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error }, 'Stopping a part of the daemon failed.');
      }
    }
    undo.length = 0;
  };

  try {
    const token = await readOrCreateToken(paths.token);
    const store: StateStore = openStateStore({ dir: paths.dir });
    undo.push(() => store.close());
    const router: RouterConnection = await connectRouter({ stateDir: paths.dir });
    undo.push(() => router.client.close());
    logger.info(
      { pid: router.pid, started: router.started },
      router.started ? 'Started the router.' : 'Found the running router.',
    );
    const watchdog = watchRouter({
      pid: router.pid,
      restart: async () => {
        const again = await connectRouter({ stateDir: paths.dir });
        // The controller's client reaches the new router on the same admin socket.
        await again.client.close();
        return again.pid;
      },
      isAlive,
      logger: logger.child({ component: 'router-watchdog' }),
    });
    undo.push(() => watchdog.stop());

    const control: ControllerLifecycle = await (options.createControl ?? createController)({
      store,
      stateDir: paths.dir,
      router: router.client,
      logger: logger.child({ component: 'controller' }),
      holderId: `daemon@${os.hostname()}:${paths.dir}`,
    });
    await control.start();
    undo.push(() => control.stop());

    let requestShutdown: () => void = () => {};
    const shutdownRequested = new Promise<void>((resolve) => (requestShutdown = resolve));
    const app = await createApiServer({
      control,
      token,
      logger: logger.child({ component: 'api' }),
      onShutdown: () => requestShutdown(),
    });
    await app.listen({ host: options.host ?? DEFAULT_API_HOST, port: options.port ?? 0 });
    undo.push(() => app.close());
    const url = apiUrl(app.server.address());
    await writeApiInfo(paths.apiInfo, {
      url,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
    undo.push(() => fs.rm(paths.apiInfo, { force: true }));
    logger.info({ url, stateDir: paths.dir }, 'Switchyard is running.');

    return {
      url,
      paths,
      shutdownRequested,
      stop: unwind,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

function apiUrl(address: string | AddressInfo | null): string {
  if (address === null || typeof address === 'string')
    throw new Error('the API server has no TCP address after listen');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
