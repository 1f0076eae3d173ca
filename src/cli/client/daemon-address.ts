/**
 * Where the CLI sends its requests: SWITCHYARD_URL and SWITCHYARD_TOKEN for a
 * daemon elsewhere; else `--state DIR`; else the `.switchyard/` found upward
 * from the current folder (DESIGN.md, Where things live).
 */
import path from 'node:path';
import { SwitchyardError } from '../../errors.ts';
import { readApiInfo } from '../../daemon/api-info.ts';
import { daemonPaths } from '../../daemon/paths.ts';
import { readToken } from '../../router/admin/token-file.ts';
import { findStateDir } from './find-state-dir.ts';

export const NOT_RUNNING_MESSAGE = 'Switchyard is not running here. Start it with `switchyard up`.';

export interface DaemonAddress {
  readonly url: string;
  readonly token: string | undefined;
}

export function notRunning(cause?: unknown): SwitchyardError {
  return new SwitchyardError('NOT_RUNNING', NOT_RUNNING_MESSAGE, { cause });
}

export async function resolveDaemonAddress(options: {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--state DIR`, when the command has it. */
  readonly stateDir?: string;
}): Promise<DaemonAddress> {
  const url = options.env['SWITCHYARD_URL'];
  if (url && options.stateDir === undefined) {
    return { url: url.replace(/\/+$/, ''), token: options.env['SWITCHYARD_TOKEN'] };
  }
  const stateDir =
    options.stateDir !== undefined
      ? path.resolve(options.cwd, options.stateDir)
      : findStateDir(options.cwd);
  if (stateDir === undefined) throw notRunning();
  const paths = daemonPaths(stateDir);
  const info = await readApiInfo(paths.apiInfo);
  if (!info) throw notRunning();
  return {
    url: info.url,
    token: (await readToken(paths.token)) ?? options.env['SWITCHYARD_TOKEN'],
  };
}
