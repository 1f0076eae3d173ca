/**
 * The daemon's router: the one already running for this state directory
 * (`router/router.json` names a live pid whose admin API answers), or a new
 * one started detached, so it outlives the daemon and traffic keeps flowing
 * while the daemon is down or restarting.
 */
import fs from 'node:fs/promises';
import { RouterAdminClient } from '../router/admin/client.ts';
import type { AdminAddress } from '../router/admin/types.ts';
import { routerPaths } from '../router/config-file.ts';
import { spawnRouter } from '../router/spawn-router.ts';
import { isAlive } from './process-check.ts';
import { readToken } from '../router/admin/token-file.ts';

export interface RouterConnection {
  readonly pid: number;
  readonly client: RouterAdminClient;
  /** True when this call started it. */
  readonly started: boolean;
}

/** What a router process's command line contains (`bin.ts --state DIR`). */
export const ROUTER_MARKERS = ['router/bin.', '--state'] as const;

export async function connectRouter(options: {
  readonly stateDir: string;
}): Promise<RouterConnection> {
  const running = await findRunningRouter(options.stateDir);
  if (running) return running;
  const router = await spawnRouter({ stateDir: options.stateDir, detached: true });
  return { pid: router.pid, client: router.client, started: true };
}

export async function readRouterPid(
  stateDir: string,
): Promise<{ pid: number; admin: AdminAddress } | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(routerPaths(stateDir).info, 'utf8')) as {
      pid?: unknown;
      admin?: AdminAddress;
    };
    return typeof info.pid === 'number' && info.admin
      ? { pid: info.pid, admin: info.admin }
      : undefined;
  } catch {
    return undefined;
  }
}

export async function findRunningRouter(stateDir: string): Promise<RouterConnection | undefined> {
  const info = await readRouterPid(stateDir);
  if (!info || !isAlive(info.pid)) return undefined;
  const token = await readToken(routerPaths(stateDir).token);
  if (token === undefined) return undefined;
  const client = new RouterAdminClient({ address: info.admin, token });
  try {
    await client.healthz();
    return { pid: info.pid, client, started: false };
  } catch {
    await client.close();
    return undefined;
  }
}
