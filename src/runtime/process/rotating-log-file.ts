/**
 * An append-only log file with a size cap: once the next write would take the
 * file past `maxBytes`, the file is renamed to `<path>.1` (replacing the older
 * one) and a new file is started. The two files together hold at most about
 * twice the cap, and the newest lines are always kept.
 *
 * Writes are synchronous: the only user is the supervisor process, which has
 * nothing else to do, and synchronous writes keep stdout and stderr lines in
 * the order they arrived.
 */
import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

export interface RotatingLogFileOptions {
  readonly path: string;
  readonly maxBytes: number;
}

export function rotatedPath(path: string): string {
  return `${path}.1`;
}

export class RotatingLogFile {
  readonly path: string;
  readonly maxBytes: number;
  #fd: number;
  #size: number;

  constructor(options: RotatingLogFileOptions) {
    if (!(options.maxBytes > 0)) throw new RangeError('maxBytes must be a positive number');
    this.path = options.path;
    this.maxBytes = options.maxBytes;
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  write(data: Uint8Array): void {
    if (data.length === 0) return;
    if (this.#size > 0 && this.#size + data.length > this.maxBytes) this.#rotate();
    let written = 0;
    while (written < data.length) {
      written += writeSync(this.#fd, data, written, data.length - written);
    }
    this.#size += data.length;
  }

  close(): void {
    closeSync(this.#fd);
  }

  #rotate(): void {
    closeSync(this.#fd);
    renameSync(this.path, rotatedPath(this.path));
    this.#fd = openSync(this.path, 'a', 0o600);
    this.#size = 0;
  }
}
