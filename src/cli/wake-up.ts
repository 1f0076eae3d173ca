/** A wake-up call for a loop that waits on several sources (events, a timer): nothing is lost between waits. */
export class WakeUp {
  #pending = false;
  #resolve: (() => void) | undefined;

  notify(): void {
    this.#pending = true;
    this.#resolve?.();
    this.#resolve = undefined;
  }

  async wait(): Promise<void> {
    if (!this.#pending) await new Promise<void>((resolve) => (this.#resolve = resolve));
    this.#pending = false;
  }
}
