import { DatabaseSync } from 'node:sqlite';
import { SwitchyardError, isSwitchyardError } from '../../errors.ts';
import { checkStateFile, migrate } from './migrate.ts';
import type { Migration } from './migrations.ts';

export interface OpenDatabaseOptions {
  readonly path: string;
  /**
   * How long a statement waits for another process's write lock before it
   * fails. Writes here are short, so waiting is always right; default 15 s.
   */
  readonly busyTimeoutMs?: number;
  /** Defaults to every migration; tests pass a prefix to build an old file. */
  readonly migrations?: readonly Migration[];
}

const DEFAULT_BUSY_TIMEOUT_MS = 15_000;

/** SQLite's result codes for a file that is not a (healthy) database. */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/**
 * Opens (or creates) a state database. It first refuses, before changing
 * anything in it, another program's database or a newer Switchyard's; then
 * sets WAL so readers never block the writer, a busy timeout so concurrent
 * processes wait for each other instead of failing, foreign keys on, and
 * migrates the schema to the newest version.
 */
export function openDatabase(options: OpenDatabaseOptions): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(options.path, {
      timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      enableForeignKeyConstraints: true,
    });
  } catch (error) {
    throw cannotOpen(options.path, error);
  }
  try {
    const migrateOptions = {
      path: options.path,
      ...(options.migrations && { migrations: options.migrations }),
    };
    // Only reads: a file that is refused must be left as it was, so the
    // journal mode (which rewrites the header and adds a -wal file) comes after.
    checkStateFile(db, migrateOptions);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db, migrateOptions);
    return db;
  } catch (error) {
    db.close();
    throw isSwitchyardError(error) ? error : cannotOpen(options.path, error);
  }
}

function cannotOpen(path: string, error: unknown): SwitchyardError {
  const errcode = (error as { errcode?: unknown }).errcode;
  const detail = error instanceof Error ? error.message : String(error);
  if (errcode === SQLITE_NOTADB || errcode === SQLITE_CORRUPT) {
    return new SwitchyardError(
      'STATE_CORRUPT',
      `The state file ${path} is not a readable SQLite database (${detail}). ` +
        'Move it aside or choose another state folder with --state.',
      { cause: error },
    );
  }
  return new SwitchyardError(
    'STATE_CORRUPT',
    `The state database ${path} could not be opened (${detail}). ` +
      'Check that its folder exists and is writable by this user.',
    { cause: error },
  );
}
