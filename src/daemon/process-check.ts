/**
 * Is a pid alive, and is it ours? Before `down` signals a pid read from a
 * file, it checks the process's command line, so a pid reused by some other
 * program after a crash is never killed.
 */
import { readFileSync } from 'node:fs';
import { readProcessStat } from '../runtime/process/process-identity.ts';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) is gone for our purposes.
  return readProcessStat(pid)?.state !== 'Z';
}

/** The command line of a process (Linux /proc), or undefined where it cannot be read. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Alive, and its command line contains every marker (when the command line can be read). */
export function isOurProcess(pid: number, markers: readonly string[]): boolean {
  if (!isAlive(pid)) return false;
  const line = commandLine(pid);
  return line === undefined || markers.every((marker) => line.includes(marker));
}

/** Resolves true once the pid is gone, false if it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
