import { maskSecretBytes, secretSafeCut } from '../secret-mask.ts';
import type { RotatingLogFile } from './rotating-log-file.ts';

const NEWLINE = 0x0a;
/** A line longer than this is written in pieces rather than held back. */
export const MAX_HELD_BYTES = 64 * 1024;

/**
 * One output stream of an instance into the shared log file. A partial last
 * line is held back, so that lines from stdout and stderr are not
 * interleaved mid-line, and so that the secret values are masked in whole
 * lines: one split across two reads is still found. A line longer than
 * MAX_HELD_BYTES is written in pieces, each cut where no secret value can
 * be cut in two (secretSafeCut).
 */
export class LineBufferedWriter {
  readonly #log: Pick<RotatingLogFile, 'write'>;
  readonly #mask: readonly string[];
  #held: Buffer = Buffer.alloc(0);

  constructor(log: Pick<RotatingLogFile, 'write'>, mask: readonly string[]) {
    this.#log = log;
    this.#mask = mask;
  }

  push(chunk: Buffer): void {
    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const end = data.lastIndexOf(NEWLINE) + 1;
    if (end > 0) this.#log.write(maskSecretBytes(data.subarray(0, end), this.#mask));
    this.#held = data.subarray(end);
    if (this.#held.length > MAX_HELD_BYTES) {
      const cut = secretSafeCut(this.#held, this.#mask);
      this.#writeLine(this.#held.subarray(0, cut));
      this.#held = this.#held.subarray(cut);
    }
  }

  flush(): void {
    if (this.#held.length === 0) return;
    this.#writeLine(this.#held);
    this.#held = Buffer.alloc(0);
  }

  #writeLine(piece: Buffer): void {
    this.#log.write(maskSecretBytes(piece, this.#mask));
    this.#log.write(Buffer.from('\n'));
  }
}
