import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SwitchyardError } from '../errors.ts';
import type { Clock } from './clock.ts';
import { SqliteStateStore } from './sqlite/sqlite-state-store.ts';

export interface OpenStateStoreOptions {
  /** The state folder (`.switchyard/` by default, DESIGN.md); created when missing. */
  readonly dir: string;
  readonly now?: Clock;
}

/** The store's file name inside the state folder. */
export const STATE_DB_FILE = 'state.db';

/**
 * Opens the state store of a state folder, creating the folder with mode 0700
 * (it also holds the API token and logs, which only the owner should read).
 */
export function openStateStore(options: OpenStateStoreOptions): SqliteStateStore {
  try {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new SwitchyardError(
      'STATE_CORRUPT',
      `The state folder ${options.dir} could not be created (${(error as Error).message}). ` +
        'Choose a writable folder with --state.',
      { cause: error },
    );
  }
  return new SqliteStateStore({
    path: join(options.dir, STATE_DB_FILE),
    ...(options.now && { now: options.now }),
  });
}
