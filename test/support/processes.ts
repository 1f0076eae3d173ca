/**
 * The processes a system test started, found and stopped by PID (Linux
 * /proc): is a PID alive, which PIDs name a service or an instance, which
 * instances and supervisors really run for a state dir, and a stop of
 * exactly a list of PIDs. Nothing here signals a process by name.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../src/daemon/process-check.ts';
import { readProcessStat } from '../../src/runtime/process/process-identity.ts';

/**
 * Alive and not a zombie (an exited process its parent has not reaped yet is
 * gone). PID 0 or below (never started) is not alive: kill(0, 0) would ask
 * about our own process group.
 */
export function alive(pid: number): boolean {
  return pid > 0 && isAlive(pid);
}

/** Every PID in /proc but this process's own. */
function allPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^[0-9]+$/.test(entry))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** A /proc file of a process, or '' when it has ended or is not ours to read. */
function procFile(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return '';
  }
}

function environ(pid: number): string[] {
  return procFile(pid, 'environ').split('\0');
}

/** Live PIDs whose environment or command line contains `needle`. */
export function processesMentioning(needle: string): number[] {
  return allPids().filter(
    (pid) => (procFile(pid, 'environ') + procFile(pid, 'cmdline')).includes(needle) && alive(pid),
  );
}

/** PIDs of live processes whose environment holds SWITCHYARD_INSTANCE=<id>. */
export function pidsOfInstance(instanceId: string): number[] {
  return allPids().filter((pid) => environ(pid).includes(`SWITCHYARD_INSTANCE=${instanceId}`));
}

/** SIGTERM, then SIGKILL after a grace period, each of exactly these PIDs. */
export async function stopPids(pids: readonly number[]): Promise<void> {
  const signal = (pid: number, name: NodeJS.Signals): void => {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
}

/**
 * Instances really running for a state dir: every instance the process
 * runtime starts has a log file named by its id under <state>/logs and
 * carries SWITCHYARD_INSTANCE=<id> in its environment; its supervisor holds
 * that log file open.
 */
export function runningProcesses(
  stateDir: string,
  service: string,
  environment: string,
): { instances: Set<string>; supervisors: number } {
  const logDir = join(stateDir, 'logs', service, environment);
  let ids: string[];
  try {
    ids = readdirSync(logDir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => f.slice(0, -'.log'.length));
  } catch {
    ids = [];
  }
  const instances = new Set<string>();
  let supervisors = 0;
  for (const pid of allPids()) {
    const state = readProcessStat(pid)?.state;
    if (state === undefined || state === 'Z') continue;
    const id = environ(pid)
      .find((v) => v.startsWith('SWITCHYARD_INSTANCE='))
      ?.slice('SWITCHYARD_INSTANCE='.length);
    if (id !== undefined) {
      if (ids.includes(id)) instances.add(id);
      continue;
    }
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // The process ended while we looked.
    }
    const holdsLog = fds.some((fd) => {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return target.startsWith(`${logDir}/`) && target.endsWith('.log');
      } catch {
        return false;
      }
    });
    if (holdsLog) supervisors += 1;
  }
  return { instances, supervisors };
}
