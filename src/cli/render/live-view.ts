/**
 * A block of lines redrawn in place on a terminal (cursor up, clear to the
 * end), for `deploy --wait` and `status --watch`.
 */
export class LiveView {
  readonly #out: { write(chunk: string): unknown };
  #height = 0;

  constructor(out: { write(chunk: string): unknown }) {
    this.#out = out;
  }

  render(lines: readonly string[]): void {
    const rewind = this.#height > 0 ? `\x1b[${this.#height}F\x1b[J` : '';
    this.#out.write(`${rewind}${lines.join('\n')}\n`);
    this.#height = lines.length;
  }
}
