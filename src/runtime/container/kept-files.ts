/**
 * What the container runtime keeps of a container it removes: how it ended
 * and its last log lines, under the state directory beside the process
 * runtime's files (`<stateDir>/logs/<service>/<env>/<instanceId>.log` and
 * `.exit`). Removing a stopped container frees the engine at once, and the
 * record still answers `inspect` (exited, with its code) and `logs` after
 * that. The exit file names the container, so a record that names another
 * container (a stale one) learns nothing from it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exitPathForLog, instanceLogPath } from '../process/instance-files.ts';
import type { InstanceFileNames } from '../process/instance-files.ts';

export interface ContainerExit {
  readonly containerId: string;
  readonly exitCode: number | null;
  readonly exitedAt: string;
}

export interface KeptPaths {
  readonly logPath: string;
  readonly exitPath: string;
}

export function keptPaths(names: InstanceFileNames): KeptPaths {
  const logPath = instanceLogPath(names);
  return { logPath, exitPath: exitPathForLog(logPath) };
}

/** Writes the last lines, then the exit record, each through a rename so readers never see half. */
export function keepFinalState(
  paths: KeptPaths,
  exit: ContainerExit,
  lines: readonly string[],
): void {
  mkdirSync(dirname(paths.logPath), { recursive: true, mode: 0o700 });
  writeWhole(paths.logPath, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  writeWhole(paths.exitPath, `${JSON.stringify(exit)}\n`);
}

/** The kept exit of exactly this container, if it was removed by this runtime. */
export function readKeptExit(paths: KeptPaths, containerId: string): ContainerExit | undefined {
  try {
    const parsed = JSON.parse(readFileSync(paths.exitPath, 'utf8')) as Partial<ContainerExit>;
    if (parsed.containerId !== containerId) return undefined;
    return {
      containerId,
      exitCode: typeof parsed.exitCode === 'number' ? parsed.exitCode : null,
      exitedAt: typeof parsed.exitedAt === 'string' ? parsed.exitedAt : '',
    };
  } catch {
    return undefined;
  }
}

function writeWhole(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}
