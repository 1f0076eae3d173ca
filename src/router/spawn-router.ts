/**
 * Starts the router as its own process (DESIGN.md: the data plane keeps
 * serving while the controller restarts) and hands back a typed admin client.
 * Used by `switchyard up` (detached) and by a controller that owns its router.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SwitchyardError } from '../errors.ts';
import { RouterAdminClient } from './admin/client.ts';
import type { AdminAddress } from './admin/types.ts';
import { routerPaths } from './config-file.ts';

export interface SpawnRouterOptions {
  readonly stateDir: string;
  /** Where the router's own log goes; default `<stateDir>/router/router.log`. */
  readonly logFile?: string;
  /** How long to wait for the router to come up. */
  readonly startTimeoutMs?: number;
  /**
   * Run the router in its own process group, not tied to this process: it
   * outlives the caller (`switchyard up` stopping, crashing or getting
   * Ctrl-C), so traffic keeps flowing. Default false (the demo owns its router).
   */
  readonly detached?: boolean;
}

export interface RouterProcess {
  readonly pid: number;
  readonly client: RouterAdminClient;
  /** Resolves once every named instance of the service passed its health checks. */
  waitHealthy(service: string, instanceIds: readonly string[], timeoutMs?: number): Promise<void>;
  /** SIGTERM (graceful: in-flight requests finish), then SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
}

// The router entry beside this file: bin.ts from a source checkout, bin.js from dist/.
const routerBin = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './bin.ts' : './bin.js', import.meta.url),
);
const POLL_MS = 50;

export async function spawnRouter(options: SpawnRouterOptions): Promise<RouterProcess> {
  const paths = routerPaths(options.stateDir);
  await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const logFd = openSync(options.logFile ?? `${paths.dir}/router.log`, 'a', 0o600);
  const child = spawn(process.execPath, [routerBin, '--state', options.stateDir], {
    stdio: ['ignore', logFd, logFd],
    detached: options.detached ?? false,
  });
  if (options.detached) child.unref();
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined)
    throw new SwitchyardError('ROUTER_ADMIN_FAILED', 'The router process could not be started.');

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  const admin = await waitForInfo(paths.info, pid, options.startTimeoutMs ?? 15_000, () => exited);
  const token = (await fs.readFile(paths.token, 'utf8')).trim();
  const client = new RouterAdminClient({ address: admin, token });

  return {
    pid,
    client,
    async waitHealthy(service, instanceIds, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = await client.getState();
        const healthy = new Set(
          state.health.filter((h) => h.service === service && h.healthy).map((h) => h.instanceId),
        );
        const waiting = instanceIds.filter((id) => !healthy.has(id));
        if (waiting.length === 0) return;
        if (Date.now() > deadline)
          throw new SwitchyardError(
            'ROUTER_ADMIN_FAILED',
            `Instances ${waiting.join(', ')} of ${service} did not pass their health checks within ${timeoutMs} ms; see their logs.`,
          );
        await sleep(POLL_MS * 2);
      }
    },
    async stop(timeoutMs = 15_000) {
      await client.close();
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function waitForInfo(
  file: string,
  pid: number,
  timeoutMs: number,
  exited: () => { code: number | null; signal: NodeJS.Signals | null } | undefined,
): Promise<AdminAddress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited();
    if (gone)
      throw new SwitchyardError(
        'ROUTER_ADMIN_FAILED',
        `The router exited while starting (code ${gone.code ?? gone.signal}); see ${file.replace(/router\.json$/, 'router.log')}.`,
      );
    try {
      const info = JSON.parse(await fs.readFile(file, 'utf8')) as {
        pid?: number;
        admin?: AdminAddress;
      };
      if (info.pid === pid && info.admin) return info.admin;
    } catch {
      // Not written yet.
    }
    if (Date.now() > deadline)
      throw new SwitchyardError(
        'ROUTER_ADMIN_FAILED',
        `The router did not start within ${timeoutMs} ms.`,
      );
    await sleep(POLL_MS);
  }
}
