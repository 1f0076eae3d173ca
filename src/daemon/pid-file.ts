/**
 * One daemon per state directory: `daemon.pid` is created exclusively; a
 * second `up` finds it held by a live Switchyard process and stops with
 * DAEMON_RUNNING (exit 3). A file left by a crashed daemon is taken over.
 */
import fs from 'node:fs/promises';
import { SwitchyardError } from '../errors.ts';
import { readApiInfo } from './api-info.ts';
import type { DaemonPaths } from './paths.ts';
import { isOurProcess } from './process-check.ts';

/** What a Switchyard daemon's command line contains. */
export const DAEMON_MARKERS = ['switchyard'] as const;

export async function claimPidFile(paths: DaemonPaths): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await fs.writeFile(paths.pidFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await runningDaemonPid(paths);
    if (holder !== undefined && holder !== process.pid) throw await alreadyRunning(paths, holder);
    await fs.rm(paths.pidFile, { force: true });
  }
  throw new SwitchyardError(
    'DAEMON_RUNNING',
    `Another switchyard up is starting on ${paths.dir} at the same time; run \`switchyard status\` to see which one won.`,
  );
}

/** The pid of the live daemon holding this state directory, if any. */
export async function runningDaemonPid(paths: DaemonPaths): Promise<number | undefined> {
  const holder = await readPidFile(paths);
  return holder !== undefined && isOurProcess(holder, DAEMON_MARKERS) ? holder : undefined;
}

export async function releasePidFile(paths: DaemonPaths): Promise<void> {
  if ((await readPidFile(paths)) === process.pid) await fs.rm(paths.pidFile, { force: true });
}

async function readPidFile(paths: DaemonPaths): Promise<number | undefined> {
  const pid = Number((await fs.readFile(paths.pidFile, 'utf8').catch(() => '')).trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export async function alreadyRunning(paths: DaemonPaths, pid: number): Promise<SwitchyardError> {
  const info = await readApiInfo(paths.apiInfo);
  const where = info && info.pid === pid ? `, API at ${info.url}` : '';
  return new SwitchyardError(
    'DAEMON_RUNNING',
    `Switchyard is already running for ${paths.dir} (pid ${pid}${where}); stop it with \`switchyard down\` first.`,
  );
}
