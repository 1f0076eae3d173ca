/**
 * The daemon's files in the state directory (DESIGN.md, Where things live).
 * The CLI reads `api.json` and `token` to find and call the daemon.
 */
import path from 'node:path';

/** The state directory's name, in the folder where `switchyard up` runs. */
export const DEFAULT_STATE_DIR = '.switchyard';

export interface DaemonPaths {
  readonly dir: string;
  /** `{url, pid, startedAt}` of the running API; removed when the daemon stops. */
  readonly apiInfo: string;
  /** The API bearer token, mode 0600, created by the first `up` and kept. */
  readonly token: string;
  /** Holds the pid of the daemon that owns this state directory (one daemon per directory). */
  readonly pidFile: string;
  /** Where `up --detach` sends the daemon's log. */
  readonly log: string;
}

export function daemonPaths(stateDir: string): DaemonPaths {
  const dir = path.resolve(stateDir);
  return {
    dir,
    apiInfo: path.join(dir, 'api.json'),
    token: path.join(dir, 'token'),
    pidFile: path.join(dir, 'daemon.pid'),
    log: path.join(dir, 'daemon.log'),
  };
}
