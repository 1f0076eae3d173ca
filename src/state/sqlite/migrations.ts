/**
 * The schema of the SQLite state store, as an ordered list of migrations.
 * `PRAGMA user_version` records the last one applied; opening a file applies
 * the missing ones in one transaction (see migrate.ts). Never edit a migration
 * that has shipped: add a new one, so every older file upgrades the same way.
 */
export interface Migration {
  /** 1, 2, 3… with no gaps; stored in PRAGMA user_version once applied. */
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Marks a SQLite file as Switchyard's (PRAGMA application_id, "SWYD"). */
export const SWITCHYARD_APPLICATION_ID = 0x53575944;

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'revisions, rollouts, events and locks',
    sql: `
      PRAGMA application_id = ${SWITCHYARD_APPLICATION_ID};

      CREATE TABLE revisions (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        number INTEGER NOT NULL CHECK (number >= 1),
        version TEXT NOT NULL,
        spec TEXT NOT NULL,
        spec_digest TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (service, environment, number)
      );

      CREATE TABLE rollouts (
        id INTEGER PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        revision_id INTEGER NOT NULL REFERENCES revisions (id),
        from_revision_id INTEGER REFERENCES revisions (id),
        strategy TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN
          ('pending', 'progressing', 'paused', 'succeeded', 'failed', 'aborted', 'rolledBack')),
        step INTEGER NOT NULL DEFAULT 0,
        weights TEXT NOT NULL DEFAULT '[]',
        reason TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        data TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE INDEX rollouts_by_service_env ON rollouts (service, environment, id);

      -- AUTOINCREMENT: an id is never reused, so paging with afterId never skips an event.
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        rollout_id INTEGER REFERENCES rollouts (id),
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}',
        at TEXT NOT NULL
      );

      -- Times in epoch milliseconds so lease comparisons are exact integer comparisons.
      CREATE TABLE locks (
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        holder TEXT NOT NULL,
        reason TEXT NOT NULL,
        since_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        PRIMARY KEY (service, environment)
      );
    `,
  },
  {
    version: 2,
    description: 'instances started by a runtime; indexes for reading the event log',
    sql: `
      CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        environment TEXT NOT NULL,
        pool TEXT NOT NULL,
        revision INTEGER NOT NULL,
        record TEXT NOT NULL,
        desired INTEGER NOT NULL DEFAULT 1 CHECK (desired IN (0, 1)),
        updated_at TEXT NOT NULL
      );
      CREATE INDEX instances_by_service_env ON instances (service, environment, pool);

      CREATE INDEX events_by_service_env ON events (service, environment, id);
      CREATE INDEX events_by_rollout ON events (rollout_id, id);
      CREATE INDEX rollouts_active ON rollouts (service, environment, id)
        WHERE status NOT IN ('succeeded', 'failed', 'aborted', 'rolledBack');
    `,
  },
  {
    version: 3,
    description: 'the event log is append-only, enforced by the database',
    sql: `
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events
      BEGIN SELECT RAISE(ABORT, 'the Switchyard event log is append-only'); END;
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events
      BEGIN SELECT RAISE(ABORT, 'the Switchyard event log is append-only'); END;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = migrations.length;
