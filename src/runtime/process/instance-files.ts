/**
 * The files a process instance leaves under the state directory:
 * `<stateDir>/logs/<service>/<env>/<instanceId>.log` (with `.log.1` after a
 * rotation) and `<instanceId>.exit`, written by the supervisor when the
 * instance ends. They outlive the controller, so a restarted controller can
 * still read the logs and learn how an instance ended.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InstanceFileNames {
  readonly stateDir: string;
  readonly service: string;
  readonly environment: string;
  readonly instanceId: string;
}

/** What the supervisor records when the instance's shell exits. */
export interface ExitRecord {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly exitedAt: string;
}

export function instanceLogPath(names: InstanceFileNames): string {
  return join(names.stateDir, 'logs', names.service, names.environment, `${names.instanceId}.log`);
}

export function exitPathForLog(logPath: string): string {
  return logPath.replace(/\.log$/, '') + '.exit';
}

/** Writes through a temporary file and a rename, so readers never see half a record. */
export function writeExitRecord(path: string, record: ExitRecord): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify(record) + '\n', { mode: 0o600 });
  renameSync(temporary, path);
}

export function readExitRecord(path: string): ExitRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ExitRecord>;
    return {
      exitCode: typeof parsed.exitCode === 'number' ? parsed.exitCode : null,
      signal: typeof parsed.signal === 'string' ? parsed.signal : null,
      exitedAt: typeof parsed.exitedAt === 'string' ? parsed.exitedAt : '',
    };
  } catch {
    return undefined;
  }
}
