/**
 * `switchyard down [--keep-router] [--state DIR]`: stops the daemon of the
 * `.switchyard/` found upward from here, then its router and the instances.
 * With --keep-router, the router and the instances keep serving traffic and
 * the next `up` adopts them (a daemon restart with no downtime).
 * Nothing running is not an error: `down` twice is fine.
 */
import path from 'node:path';
import { ExitCode } from '../../errors.ts';
import { daemonPaths } from '../../daemon/paths.ts';
import { stopDaemon } from '../../daemon/stop-daemon.ts';
import { stopInstances } from '../../daemon/stop-instances.ts';
import { currentUser } from '../client/api-client.ts';
import { findStateDir } from '../client/find-state-dir.ts';
import type { CliIO } from '../io.ts';

export interface DownOptions {
  readonly state?: string;
  readonly keepRouter?: boolean;
}

export async function downCommand(options: DownOptions, io: CliIO): Promise<number> {
  const stateDir =
    options.state !== undefined ? path.resolve(io.cwd, options.state) : findStateDir(io.cwd);
  if (stateDir === undefined) {
    io.stdout.write('Switchyard is not running here; nothing to stop.\n');
    return ExitCode.ok;
  }
  const result = await stopDaemon({
    paths: daemonPaths(stateDir),
    keepRouter: options.keepRouter ?? false,
    user: currentUser(io.env),
  });
  if (result.daemonPid === undefined && result.routerPid === undefined) {
    io.stdout.write(`Switchyard is not running for ${stateDir}; nothing to stop.\n`);
    return ExitCode.ok;
  }
  if (result.daemonPid !== undefined)
    io.stdout.write(`Stopped the Switchyard daemon (pid ${result.daemonPid}).\n`);
  if (result.routerPid !== undefined)
    io.stdout.write(`Stopped the router (pid ${result.routerPid}).\n`);
  if (options.keepRouter) {
    io.stdout.write('The router and the instances keep running and serving traffic.\n');
  } else {
    const stopped = await stopInstances({ stateDir });
    if (stopped > 0)
      io.stdout.write(`Stopped ${stopped} instance(s); \`switchyard up\` starts them again.\n`);
  }
  return ExitCode.ok;
}
