/**
 * Telling one process apart from another that later got the same PID.
 *
 * The kernel numbers processes from a small space and reuses numbers, so a PID
 * alone does not name a process for long. Its start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot) never changes for the life of
 * the process and differs for a new process that reuses the number, so the
 * pair (pid, start time) does. The runtime never signals a PID whose start
 * time does not match the one it recorded.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessStat {
  readonly pid: number;
  /** One letter: R running, S sleeping, D disk wait, Z zombie, T stopped, ... */
  readonly state: string;
  readonly processGroup: number;
  /** Clock ticks after boot at which the process started. */
  readonly startTime: number;
}

export interface ProcessIdentity {
  readonly pid: number;
  readonly startTime: number;
}

/**
 * Parses the text of /proc/<pid>/stat. The second field (the command name) is
 * in parentheses and may itself hold spaces and parentheses, so the fields
 * after it are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcessStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  // After ") " come field 3 (state) onwards; field N is at index N - 3.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const state = rest[0];
  const processGroup = Number(rest[5 - 3]);
  const startTime = Number(rest[22 - 3]);
  if (!Number.isInteger(pid) || state === undefined || !Number.isInteger(startTime)) {
    return undefined;
  }
  return { pid, state, processGroup, startTime };
}

/** The process's stat, or undefined when no process has this PID. */
export function readProcessStat(pid: number): ProcessStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The identity of a live process, as recorded at start. */
export function readProcessIdentity(pid: number): ProcessIdentity | undefined {
  const stat = readProcessStat(pid);
  return stat === undefined ? undefined : { pid, startTime: stat.startTime };
}

/**
 * True when the process with this PID is the one recorded (same start time)
 * and has not exited. A zombie has exited: it only waits for its parent to
 * collect its status.
 */
export function isSameLiveProcess(identity: ProcessIdentity): boolean {
  const stat = readProcessStat(identity.pid);
  return stat !== undefined && stat.startTime === identity.startTime && stat.state !== 'Z';
}

/**
 * True when a live (not zombie) process still belongs to the process group.
 * kill(-group, 0) is not enough: it also succeeds for zombies, and an orphan
 * stays a zombie until init gets round to collecting it, which some inits do
 * slowly. Only meaningful while the group's number cannot have been reused:
 * the kernel does not hand out a PID that still names a live process group.
 */
export function processGroupHasLiveMembers(processGroup: number): boolean {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcessStat(pid);
    if (stat !== undefined && stat.processGroup === processGroup && stat.state !== 'Z') return true;
  }
  return false;
}
