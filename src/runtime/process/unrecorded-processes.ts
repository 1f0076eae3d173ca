/**
 * Finds and stops the processes of an instance whose start was cut short by
 * a crash (ProcessRuntime.stopUnrecorded): the controller's store holds only
 * its planned record, so the runtime's record (PID, start time) was never saved. The process runtime gives every
 * instance SWITCHYARD_INSTANCE=<id> in its environment, and ids are unique,
 * so /proc/<pid>/environ names them exactly. Their supervisor exits by itself
 * once the instance's process group is gone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { readProcessStat } from './process-identity.ts';

/** PIDs of live processes whose environment has SWITCHYARD_INSTANCE=<instanceId>. */
export function findInstanceProcesses(instanceId: string): number[] {
  const needle = `SWITCHYARD_INSTANCE=${instanceId}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    if (environ.split('\0').includes(needle) && readProcessStat(pid)?.state !== 'Z') {
      found.push(pid);
    }
  }
  return found;
}

/**
 * SIGKILLs the process groups of an unrecorded instance and waits until they
 * are gone. It never took traffic (it was not in the router config yet), so
 * nothing is cut by not draining it.
 */
export async function stopUnrecordedInstance(instanceId: string): Promise<number[]> {
  const pids = findInstanceProcesses(instanceId);
  const groups = new Set(pids.map((pid) => readProcessStat(pid)?.processGroup ?? pid));
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (let i = 0; i < 200 && findInstanceProcesses(instanceId).length > 0; i += 1) await sleep(25);
  return pids;
}
