/**
 * Helpers for tests of the state store and of code built on it: a clock that
 * moves only when told, and a store in a fresh temporary folder that the test
 * removes when it is done.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from './clock.ts';
import { SqliteStateStore } from './sqlite/sqlite-state-store.ts';

export class ManualClock {
  #ms: number;

  constructor(start: Date = new Date('2026-01-01T00:00:00.000Z')) {
    this.#ms = start.getTime();
  }

  /** Pass this as the store's `now`. */
  readonly now: Clock = () => new Date(this.#ms);

  advance(ms: number): void {
    this.#ms += ms;
  }
}

export interface TempStateDir {
  readonly dir: string;
  /** `state.db` inside `dir`. */
  readonly path: string;
  readonly clock: ManualClock;
  /** Opens a store on `path` with `clock`; every store opened here is closed by `dispose`. */
  open(): SqliteStateStore;
  dispose(): Promise<void>;
}

export async function createTempStateDir(): Promise<TempStateDir> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-state-'));
  const path = join(dir, 'state.db');
  const clock = new ManualClock();
  const stores: SqliteStateStore[] = [];
  return {
    dir,
    path,
    clock,
    open() {
      const store = new SqliteStateStore({ path, now: clock.now });
      stores.push(store);
      return store;
    },
    async dispose() {
      for (const store of stores) store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The error `work` throws (the test fails if it throws nothing). */
export function thrownBy(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the call to throw, but it returned normally.');
}
