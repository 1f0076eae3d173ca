/**
 * Reads an instance's log as lines: the rotated file (`.log.1`) then the
 * current one, optionally only the last N lines, optionally following new
 * lines until the caller aborts.
 *
 * Following polls the file (every FOLLOW_POLL_MS) instead of using fs.watch,
 * which misses events on some file systems and across renames. When the
 * supervisor rotates the file, the reader finishes the old file (now `.1`)
 * before it moves to the new one, so no line is lost at a rotation.
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LineSplitter } from '../line-splitter.ts';
import { rotatedPath } from './rotating-log-file.ts';

export { LineSplitter } from '../line-splitter.ts';

const FOLLOW_POLL_MS = 100;
const READ_CHUNK_BYTES = 64 * 1024;

export interface ReadLogOptions {
  readonly tail?: number;
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
}

/** Where a reader stands in one file. */
interface Cursor {
  inode: number;
  position: number;
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function inodeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

/** Reads from the cursor to the end of the file at `path`, advancing the cursor. */
async function readNew(path: string, cursor: Cursor, splitter: LineSplitter): Promise<string[]> {
  const file = await openIfExists(path);
  if (file === undefined) return [];
  try {
    const { ino, size } = await file.stat();
    if (ino !== cursor.inode || size < cursor.position) {
      cursor.inode = ino;
      cursor.position = 0;
    }
    const lines: string[] = [];
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, cursor.position);
      if (bytesRead === 0) break;
      cursor.position += bytesRead;
      lines.push(...splitter.push(buffer.subarray(0, bytesRead)));
    }
    return lines;
  } finally {
    await file.close();
  }
}

export async function* readLogLines(
  logPath: string,
  options: ReadLogOptions = {},
): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  const current: Cursor = { inode: -1, position: 0 };
  // The rotated file was complete when it was renamed: read it whole.
  const lines = await readNew(rotatedPath(logPath), { inode: -1, position: 0 }, splitter);
  lines.push(...(await readNew(logPath, current, splitter)));
  const first = options.tail === undefined ? lines : lines.slice(-options.tail);
  if (options.tail !== 0) yield* first;
  if (!options.follow) {
    yield* splitter.flush();
    return;
  }

  const signal = options.signal;
  const aborted = () => signal?.aborted === true;
  while (!aborted()) {
    await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined);
    if (aborted()) break;
    const inode = await inodeOf(logPath);
    if (inode !== undefined && inode !== current.inode && current.inode !== -1) {
      // Rotated since the last read: the rest of the old file is now `.1`.
      if ((await inodeOf(rotatedPath(logPath))) === current.inode) {
        yield* await readNew(rotatedPath(logPath), current, splitter);
      }
      current.inode = inode;
      current.position = 0;
    }
    yield* await readNew(logPath, current, splitter);
  }
}
