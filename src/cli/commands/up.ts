/**
 * `switchyard up [--detach] [--state DIR] [--port N] [--host H]`: starts the
 * daemon (controller, router, control API) for the state directory
 * `.switchyard/` here, in the foreground until Ctrl-C or `switchyard down`,
 * or in the background with --detach. The API listens on 127.0.0.1 and a
 * free port unless told otherwise; `api.json` in the state directory says where.
 */
import path from 'node:path';
import { ExitCode } from '../../errors.ts';
import { startDaemon } from '../../daemon/daemon.ts';
import { startDetached } from '../../daemon/detach.ts';
import { daemonPaths, DEFAULT_STATE_DIR } from '../../daemon/paths.ts';
import { alreadyRunning, runningDaemonPid } from '../../daemon/pid-file.ts';
import type { CliIO } from '../io.ts';

export interface UpOptions {
  readonly detach?: boolean;
  readonly state?: string;
  readonly port?: number;
  readonly host?: string;
}

export async function upCommand(options: UpOptions, io: CliIO): Promise<number> {
  const paths = daemonPaths(path.resolve(io.cwd, options.state ?? DEFAULT_STATE_DIR));
  const listen = {
    ...(options.host !== undefined && { host: options.host }),
    ...(options.port !== undefined && { port: options.port }),
  };
  if (options.detach) {
    const running = await runningDaemonPid(paths);
    if (running !== undefined) throw await alreadyRunning(paths, running);
    const info = await startDetached({ paths, cwd: io.cwd, env: io.env, ...listen });
    io.stdout.write(
      `Switchyard is running at ${info.url} (pid ${info.pid}); state in ${paths.dir}, log in ${paths.log}.\nStop it with \`switchyard down\`.\n`,
    );
    return ExitCode.ok;
  }

  const daemon = await startDaemon({ stateDir: paths.dir, ...listen });
  io.stderr.write(
    `Switchyard is running at ${daemon.url} (pid ${process.pid}); state in ${paths.dir}.\nCtrl-C or \`switchyard down\` stops it; the router keeps serving traffic.\n`,
  );
  let onSignal: () => void = () => {};
  const signalled = new Promise<void>((resolve) => (onSignal = resolve));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await Promise.race([daemon.shutdownRequested, signalled]);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await daemon.stop();
  }
  io.stderr.write('Switchyard stopped; the router and the instances keep running.\n');
  return ExitCode.ok;
}
