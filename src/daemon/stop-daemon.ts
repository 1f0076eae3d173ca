/**
 * `switchyard down`: asks the daemon to stop (POST /v1/shutdown with the
 * token; SIGTERM to its pid, after checking the pid is a Switchyard process,
 * if the API does not answer), waits until it is gone, then stops the router
 * the same careful way unless `keepRouter`.
 */
import { SwitchyardError } from '../errors.ts';
import { ApiClient } from '../cli/client/api-client.ts';
import { readApiInfo } from './api-info.ts';
import type { DaemonPaths } from './paths.ts';
import { DAEMON_MARKERS } from './pid-file.ts';
import { isOurProcess, waitForExit } from './process-check.ts';
import { readRouterPid, ROUTER_MARKERS } from './router-connection.ts';
import { readToken } from '../router/admin/token-file.ts';

/** The daemon stops its controller and API quickly; the router may drain requests in flight. */
const DAEMON_STOP_MS = 30_000;
const ROUTER_STOP_MS = 60_000;

export interface StopResult {
  readonly daemonPid?: number;
  readonly routerPid?: number;
}

export async function stopDaemon(options: {
  readonly paths: DaemonPaths;
  readonly keepRouter: boolean;
  readonly user: string;
}): Promise<StopResult> {
  const { paths } = options;
  let daemonPid: number | undefined;
  const info = await readApiInfo(paths.apiInfo);
  // A daemon killed with -9 leaves api.json behind, and its pid may since name
  // another program: that one is neither asked nor signalled.
  if (info && isOurProcess(info.pid, DAEMON_MARKERS)) {
    daemonPid = info.pid;
    const client = new ApiClient({
      url: info.url,
      token: await readToken(paths.token),
      user: options.user,
    });
    const asked = await client.shutdown().then(
      () => true,
      () => false,
    );
    if (!asked && isOurProcess(info.pid, DAEMON_MARKERS)) process.kill(info.pid, 'SIGTERM');
    await stopOrKill(info.pid, DAEMON_STOP_MS, 'daemon');
  }

  let routerPid: number | undefined;
  if (!options.keepRouter) {
    const router = await readRouterPid(paths.dir);
    if (router && isOurProcess(router.pid, [...ROUTER_MARKERS, paths.dir])) {
      routerPid = router.pid;
      process.kill(router.pid, 'SIGTERM');
      await stopOrKill(router.pid, ROUTER_STOP_MS, 'router');
    }
  }
  return {
    ...(daemonPid !== undefined && { daemonPid }),
    ...(routerPid !== undefined && { routerPid }),
  };
}

async function stopOrKill(pid: number, timeoutMs: number, what: string): Promise<void> {
  if (await waitForExit(pid, timeoutMs)) return;
  process.kill(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 5_000))) {
    throw new SwitchyardError(
      'DAEMON_STOP_FAILED',
      `The ${what} (pid ${pid}) did not stop, even after SIGKILL.`,
    );
  }
}
