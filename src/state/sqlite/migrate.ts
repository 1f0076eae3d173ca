import type { DatabaseSync } from 'node:sqlite';
import { SwitchyardError } from '../../errors.ts';
import { SWITCHYARD_APPLICATION_ID, migrations } from './migrations.ts';
import type { Migration } from './migrations.ts';
import { inWriteTransaction } from './transaction.ts';

export interface MigrateOptions {
  /** The file, for error messages. */
  readonly path: string;
  /** Defaults to every migration; tests pass a prefix to build an old file. */
  readonly migrations?: readonly Migration[];
}

/**
 * Brings the file's schema up to the newest version. All pending migrations
 * run in one immediate transaction, and the version is read again inside it,
 * so several processes opening the same old file at once migrate it exactly
 * once and a crash half-way leaves the file as it was.
 */
export function migrate(db: DatabaseSync, options: MigrateOptions): number {
  const list = options.migrations ?? migrations;
  const latest = list.at(-1)?.version ?? 0;
  checkFile(db, { path: options.path, latest });
  if (userVersion(db) === latest) return latest;
  return inWriteTransaction(db, () => {
    checkFile(db, { path: options.path, latest });
    const current = userVersion(db);
    for (const migration of list) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      // PRAGMA takes no parameters; the version is an integer from our own list.
      db.exec(`PRAGMA user_version = ${migration.version}`);
    }
    return latest;
  });
}

/**
 * Refuses, without writing anything, a file that is another program's SQLite
 * database or was written by a newer Switchyard. `openDatabase` calls it
 * before it sets any pragma, so a refused file is left exactly as it was.
 */
export function checkStateFile(db: DatabaseSync, options: MigrateOptions): void {
  const list = options.migrations ?? migrations;
  checkFile(db, { path: options.path, latest: list.at(-1)?.version ?? 0 });
}

function checkFile(db: DatabaseSync, options: { path: string; latest: number }): void {
  const version = userVersion(db);
  if (version > options.latest) {
    throw new SwitchyardError(
      'STATE_CORRUPT',
      `The state database ${options.path} was written by a newer Switchyard (schema version ${version}; ` +
        `this one knows up to ${options.latest}). Upgrade Switchyard to use it.`,
    );
  }
  const applicationId = pragmaNumber(db, 'application_id');
  const foreign =
    applicationId !== 0 && applicationId !== SWITCHYARD_APPLICATION_ID
      ? true
      : version === 0 && hasTables(db);
  if (foreign) {
    throw new SwitchyardError(
      'STATE_CORRUPT',
      `The file ${options.path} is a SQLite database but not a Switchyard state store. ` +
        'Move it aside or choose another state folder with --state.',
    );
  }
}

function userVersion(db: DatabaseSync): number {
  return pragmaNumber(db, 'user_version');
}

function pragmaNumber(db: DatabaseSync, name: 'user_version' | 'application_id'): number {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, number> | undefined;
  return row?.[name] ?? 0;
}

function hasTables(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' LIMIT 1").get() !== undefined;
}
