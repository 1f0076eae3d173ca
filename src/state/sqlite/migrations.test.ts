import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../../errors.ts';
import { thrownBy } from '../testing.ts';
import { migrate } from './migrate.ts';
import { LATEST_SCHEMA_VERSION, SWITCHYARD_APPLICATION_ID, migrations } from './migrations.ts';
import { SqliteStateStore } from './sqlite-state-store.ts';

/**
 * The schema as version 1 shipped it, written out by hand (not taken from
 * migrations.ts) so this test keeps meaning "a file from the field" even if
 * someone edits migration 1 by mistake.
 */
const VERSION_1_SCHEMA = `
  CREATE TABLE revisions (id INTEGER PRIMARY KEY, service TEXT NOT NULL, environment TEXT NOT NULL,
    number INTEGER NOT NULL CHECK (number >= 1), version TEXT NOT NULL, spec TEXT NOT NULL,
    spec_digest TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
    UNIQUE (service, environment, number));
  CREATE TABLE rollouts (id INTEGER PRIMARY KEY, service TEXT NOT NULL, environment TEXT NOT NULL,
    revision_id INTEGER NOT NULL REFERENCES revisions (id), from_revision_id INTEGER REFERENCES revisions (id),
    strategy TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN
      ('pending', 'progressing', 'paused', 'succeeded', 'failed', 'aborted', 'rolledBack')),
    step INTEGER NOT NULL DEFAULT 0, weights TEXT NOT NULL DEFAULT '[]', reason TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '', data TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, finished_at TEXT);
  CREATE INDEX rollouts_by_service_env ON rollouts (service, environment, id);
  CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, service TEXT NOT NULL, environment TEXT NOT NULL,
    rollout_id INTEGER REFERENCES rollouts (id), type TEXT NOT NULL, reason TEXT NOT NULL,
    message TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}', at TEXT NOT NULL);
  CREATE TABLE locks (service TEXT NOT NULL, environment TEXT NOT NULL, holder TEXT NOT NULL,
    reason TEXT NOT NULL, since_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (service, environment));
  PRAGMA application_id = ${SWITCHYARD_APPLICATION_ID};
  PRAGMA user_version = 1;
`;

const shop = { service: 'shop', environment: 'live' };

function codeOf(error: unknown): string | undefined {
  return isSwitchyardError(error) ? error.code : undefined;
}

function pragma(path: string, name: string): unknown {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>)[name];
  } finally {
    db.close();
  }
}

function tableNames(path: string): string[] {
  const db = new DatabaseSync(path);
  try {
    const rows = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .all();
    return rows.map((row) => String(row.name));
  } finally {
    db.close();
  }
}

describe('schema migrations', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-migrations-'));
    path = join(dir, 'state.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('numbers migrations 1, 2, 3… with no gaps', () => {
    expect(migrations.map((migration) => migration.version)).toEqual(
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, index) => index + 1),
    );
    expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
  });

  it('creates a new file at the newest version, in WAL mode', () => {
    new SqliteStateStore({ path }).close();
    expect(pragma(path, 'user_version')).toBe(LATEST_SCHEMA_VERSION);
    expect(pragma(path, 'journal_mode')).toBe('wal');
    expect(pragma(path, 'application_id')).toBe(SWITCHYARD_APPLICATION_ID);
    expect(tableNames(path)).toEqual(
      expect.arrayContaining(['events', 'instances', 'locks', 'revisions', 'rollouts']),
    );
  });

  it('migrates a version 1 file to the newest version and keeps its data', () => {
    const old = new DatabaseSync(path);
    old.exec(VERSION_1_SCHEMA);
    old.exec(`
      INSERT INTO revisions VALUES (1, 'shop', 'live', 1, 'v1', '{"port":3000}', 'abc', 'ann', '2025-12-01T00:00:00.000Z');
      INSERT INTO rollouts (id, service, environment, revision_id, strategy, status, created_at, updated_at)
        VALUES (1, 'shop', 'live', 1, 'canary', 'progressing', '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z');
      INSERT INTO events (service, environment, rollout_id, type, reason, message, at)
        VALUES ('shop', 'live', 1, 'rollout.created', 'RolloutCreated', 'old event', '2025-12-01T00:00:00.000Z');
    `);
    old.close();
    expect(tableNames(path)).not.toContain('instances');

    const store = new SqliteStateStore({ path });
    try {
      expect(pragma(path, 'user_version')).toBe(LATEST_SCHEMA_VERSION);
      expect(store.getRevisionByNumber(shop, 1)).toMatchObject({
        version: 'v1',
        spec: { port: 3000 },
      });
      expect(store.activeRollout(shop)?.id).toBe(1);
      expect(store.listEvents({ rolloutId: 1 }).map((event) => event.message)).toEqual([
        'old event',
      ]);
      // what the later migrations added works on the upgraded file
      expect(store.addRevision({ ...shop, version: 'v2', spec: {}, createdBy: 'bo' }).number).toBe(
        2,
      );
      store.putInstance({
        instanceId: 'i1',
        runtime: 'process',
        ...shop,
        revision: 2,
        version: 'v2',
        pool: 'canary',
        host: '127.0.0.1',
        port: 40000,
        startedAt: '2026-01-01T00:00:00.000Z',
        handle: { pid: 1 },
      });
      expect(store.listInstances(shop)).toHaveLength(1);
    } finally {
      store.close();
    }
    const db = new DatabaseSync(path);
    try {
      expect(() => db.exec('DELETE FROM events')).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('leaves a file as it was when a migration fails half-way', () => {
    const db = new DatabaseSync(path);
    try {
      migrate(db, { path, migrations: migrations.slice(0, 1) });
      expect(pragma(path, 'user_version')).toBe(1);
      const broken = [
        ...migrations.slice(0, 1),
        { version: 2, description: 'fine', sql: 'CREATE TABLE extra (x INTEGER)' },
        { version: 3, description: 'broken', sql: 'CREATE TABLE revisions (x INTEGER)' },
      ];
      expect(() => migrate(db, { path, migrations: broken })).toThrow(/already exists/);
      expect(db.isTransaction).toBe(false);
    } finally {
      db.close();
    }
    expect(pragma(path, 'user_version')).toBe(1);
    expect(tableNames(path)).not.toContain('extra');
  });

  it('refuses a file from a newer Switchyard, naming the file and saying to upgrade', () => {
    new SqliteStateStore({ path }).close();
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const error = thrownBy(() => new SqliteStateStore({ path }));
    expect(codeOf(error)).toBe('STATE_CORRUPT');
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/upgrade/i);
    expect(pragma(path, 'user_version')).toBe(LATEST_SCHEMA_VERSION + 1);
  });

  it('refuses a file that is not a SQLite database, naming the file', async () => {
    await writeFile(
      path,
      'this is not a database, just some text that is long enough to have a header\n'.repeat(10),
    );
    const error = thrownBy(() => new SqliteStateStore({ path }));
    expect(codeOf(error)).toBe('STATE_CORRUPT');
    expect((error as Error).message).toContain(path);
  });

  it("refuses another program's SQLite database instead of adding tables to it", () => {
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY)');
    db.close();
    const error = thrownBy(() => new SqliteStateStore({ path }));
    expect(codeOf(error)).toBe('STATE_CORRUPT');
    expect((error as Error).message).toContain(path);
    expect(tableNames(path)).toEqual(['customers']);
  });

  it.each([
    ['another program', 'CREATE TABLE customers (id INTEGER PRIMARY KEY)'],
    [
      'a newer Switchyard',
      `CREATE TABLE future (id INTEGER PRIMARY KEY);
       PRAGMA application_id = ${SWITCHYARD_APPLICATION_ID};
       PRAGMA user_version = ${LATEST_SCHEMA_VERSION + 1};`,
    ],
  ])('refuses a database of %s without changing its journal mode', async (_, sql) => {
    const db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = DELETE');
    db.exec(sql);
    db.close();

    const error = thrownBy(() => new SqliteStateStore({ path }));

    expect(codeOf(error)).toBe('STATE_CORRUPT');
    expect(pragma(path, 'journal_mode')).toBe('delete');
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('says which file it could not open when its folder does not exist', () => {
    const missing = join(dir, 'no-such-folder', 'state.db');
    const error = thrownBy(() => new SqliteStateStore({ path: missing }));
    expect(codeOf(error)).toBe('STATE_CORRUPT');
    expect((error as Error).message).toContain(missing);
  });
});
