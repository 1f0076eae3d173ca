import type { SavedRouterState } from './config-file.ts';
import { saveRouterState } from './config-file.ts';

/**
 * Saves the router's state after every change without letting writes
 * overlap or pile up: while one write runs, later requests collapse into a
 * single write of the newest state when it ends.
 */
export class ConfigSaver {
  private readonly stateDir: string;
  private readonly current: () => SavedRouterState;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(options: { stateDir: string; current: () => SavedRouterState }) {
    this.stateDir = options.stateDir;
    this.current = options.current;
  }

  /** Resolves when a write that includes the state as of this call has finished. */
  save(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await saveRouterState(this.stateDir, this.current());
    } while (this.again);
  }
}
