/**
 * Finds the daemon's state directory the way git finds `.git`: `.switchyard/`
 * in the current folder, else in its parent, and so on up to the root.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_STATE_DIR } from '../../daemon/paths.ts';

export function findStateDir(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, DEFAULT_STATE_DIR);
    if (isDirectory(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
