/**
 * `up --detach`: runs `switchyard up` again as a background process in its
 * own session (its output in `<state>/daemon.log`), waits until its API
 * answers, and hands back where. If the child exits first, its log says why.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { ExitCode, SwitchyardError } from '../errors.ts';
import { readApiInfo, type ApiInfo } from './api-info.ts';
import type { DaemonPaths } from './paths.ts';

// bin/switchyard.js, two levels up from src/daemon/ and from dist/daemon/ alike.
const switchyardBin = fileURLToPath(new URL('../../bin/switchyard.js', import.meta.url));
const POLL_MS = 100;
const START_TIMEOUT_MS = 60_000;

export interface DetachOptions {
  readonly paths: DaemonPaths;
  readonly host?: string;
  readonly port?: number;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export async function startDetached(options: DetachOptions): Promise<ApiInfo> {
  const { paths } = options;
  await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const logFd = openSync(paths.log, 'a', 0o600);
  const args = [switchyardBin, 'up', '--state', paths.dir];
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.host !== undefined) args.push('--host', options.host);
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...options.env },
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined)
    throw new SwitchyardError('DAEMON_START_FAILED', 'The daemon process could not be started.');

  let exitCode: number | null | undefined;
  child.once(
    'exit',
    (code, signal) => (exitCode = code ?? (signal ? ExitCode.rolloutFailed : null)),
  );
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) throw await startFailed(paths, exitCode);
    const info = await readApiInfo(paths.apiInfo);
    if (info?.pid === pid && (await answers(info.url))) return info;
    if (Date.now() > deadline) {
      throw new SwitchyardError(
        'DAEMON_START_FAILED',
        `The daemon (pid ${pid}) did not answer within ${START_TIMEOUT_MS / 1000} s; see ${paths.log}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await request(`${url}/v1/healthz`);
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

async function startFailed(paths: DaemonPaths, code: number | null): Promise<SwitchyardError> {
  const log = await fs.readFile(paths.log, 'utf8').catch(() => '');
  const errorLines = log
    .split('\n')
    .filter((line) => line.startsWith('error: ') || line.startsWith('  '))
    .slice(-5);
  const reason = errorLines[0]?.slice('error: '.length);
  if (code === ExitCode.conflict) {
    return new SwitchyardError(
      'DAEMON_RUNNING',
      reason ?? `Switchyard is already running for ${paths.dir}.`,
    );
  }
  return new SwitchyardError(
    'DAEMON_START_FAILED',
    `The daemon exited while starting (code ${code ?? 'unknown'})${reason ? `: ${reason}` : ''}; see ${paths.log}.`,
    { details: errorLines.slice(1) },
  );
}
