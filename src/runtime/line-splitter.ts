/**
 * Bytes to lines for every driver's log reader: a process's log file, a
 * container's log stream.
 */
/** Splits bytes into lines, holding back a trailing partial line. */
export class LineSplitter {
  #held: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const end = data.lastIndexOf(0x0a) + 1;
    this.#held = Buffer.from(data.subarray(end));
    if (end === 0) return [];
    return data.toString('utf8', 0, end - 1).split('\n');
  }

  /** The held partial line, if any (used when nothing more will come). */
  flush(): string[] {
    if (this.#held.length === 0) return [];
    const line = this.#held.toString('utf8');
    this.#held = Buffer.alloc(0);
    return [line];
  }
}
