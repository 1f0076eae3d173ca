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
 * run in one immediate transaction, and the file is checked and its version
 * read again inside it, so several processes opening the same old file at
 * once migrate it exactly once, a newer Switchyard's migration committed
 * meanwhile is refused, and a crash half-way leaves the file as it was.
 */
export function migrate(db: DatabaseSync, options: MigrateOptions): number {
  const list = options.migrations ?? migrations;
  const latest = latestVersion(list);
  if (fileFacts(db).version === latest) return latest;
  return inWriteTransaction(db, () => {
    const current = checkStateFile(db, options);
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
 * database or was written by a newer Switchyard; returns its schema version.
 * `openDatabase` calls it before it sets any pragma, so a refused file is left
 * exactly as it was.
 */
export function checkStateFile(db: DatabaseSync, options: MigrateOptions): number {
  const latest = latestVersion(options.migrations ?? migrations);
  const { version, applicationId, hasTables } = fileFacts(db);
  if (version > latest) {
    throw new SwitchyardError(
      'STATE_CORRUPT',
      `The state database ${options.path} was written by a newer Switchyard (schema version ${version}; ` +
        `this one knows up to ${latest}). Upgrade Switchyard to use it.`,
    );
  }
  const foreign =
    (applicationId !== 0 && applicationId !== SWITCHYARD_APPLICATION_ID) ||
    (version === 0 && hasTables);
  if (foreign) {
    throw new SwitchyardError(
      'STATE_CORRUPT',
      `The file ${options.path} is a SQLite database but not a Switchyard state store. ` +
        'Move it aside or choose another state folder with --state.',
    );
  }
  return version;
}

function latestVersion(list: readonly Migration[]): number {
  return list.at(-1)?.version ?? 0;
}

/**
 * The three facts the check needs, read in ONE statement so they come from
 * one snapshot: read separately, another process's migration could commit
 * in between (version 0 read before it, its tables seen after) and a new
 * store would look like a foreign database.
 */
function fileFacts(db: DatabaseSync): {
  version: number;
  applicationId: number;
  hasTables: boolean;
} {
  const row = db
    .prepare(
      `SELECT (SELECT user_version FROM pragma_user_version) AS version,
              (SELECT application_id FROM pragma_application_id) AS applicationId,
              EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table') AS hasTables`,
    )
    .get() as { version: number; applicationId: number; hasTables: number };
  return { version: row.version, applicationId: row.applicationId, hasTables: row.hasTables === 1 };
}
