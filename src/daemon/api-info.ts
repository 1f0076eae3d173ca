/** `<state>/api.json`: where the daemon's API answers, written once it listens. */
import fs from 'node:fs/promises';
import { writeFileAtomic } from '../router/config-file.ts';

export interface ApiInfo {
  readonly url: string;
  readonly pid: number;
  readonly startedAt: string;
}

export async function writeApiInfo(file: string, info: ApiInfo): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

/** The saved address, or undefined when there is none or it is unreadable. */
export async function readApiInfo(file: string): Promise<ApiInfo | undefined> {
  try {
    const info = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<ApiInfo>;
    if (typeof info.url !== 'string' || typeof info.pid !== 'number') return undefined;
    return { url: info.url, pid: info.pid, startedAt: String(info.startedAt ?? '') };
  } catch {
    return undefined;
  }
}
