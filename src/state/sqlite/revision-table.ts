import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Clock } from '../clock.ts';
import { specDigest } from '../spec-digest.ts';
import type { NewRevision, Revision, ServiceEnv } from '../store.ts';
import { fromJsonColumn, toJsonColumn } from './json-column.ts';
import { inWriteTransaction } from './transaction.ts';

interface RevisionRow {
  id: number;
  service: string;
  environment: string;
  number: number;
  version: string;
  spec: string;
  spec_digest: string;
  created_by: string;
  created_at: string;
}

/** Revisions: numbered 1, 2, 3… per service+environment, the resolved spec stored whole. */
export class RevisionTable {
  readonly #db: DatabaseSync;
  readonly #now: Clock;
  readonly #nextNumber: StatementSync;
  readonly #insert: StatementSync;
  readonly #byId: StatementSync;
  readonly #byNumber: StatementSync;
  readonly #list: StatementSync;
  readonly #services: StatementSync;

  constructor(options: { db: DatabaseSync; now: Clock }) {
    this.#db = options.db;
    this.#now = options.now;
    const db = options.db;
    this.#nextNumber = db.prepare(
      `SELECT COALESCE(MAX(number), 0) + 1 AS next FROM revisions
       WHERE service = :service AND environment = :environment`,
    );
    this.#insert = db.prepare(
      `INSERT INTO revisions (service, environment, number, version, spec, spec_digest, created_by, created_at)
       VALUES (:service, :environment, :number, :version, :spec, :digest, :createdBy, :createdAt)
       RETURNING *`,
    );
    this.#byId = db.prepare('SELECT * FROM revisions WHERE id = :id');
    this.#byNumber = db.prepare(
      `SELECT * FROM revisions WHERE service = :service AND environment = :environment AND number = :number`,
    );
    // LIMIT -1 is SQLite for "no limit".
    this.#list = db.prepare(
      `SELECT * FROM revisions WHERE service = :service AND environment = :environment
       ORDER BY number DESC LIMIT :limit`,
    );
    this.#services = db.prepare(
      'SELECT DISTINCT service, environment FROM revisions ORDER BY service, environment',
    );
  }

  add(revision: NewRevision): Revision {
    const spec = toJsonColumn(revision.spec);
    const digest = specDigest(revision.spec);
    // Numbering reads then writes: the immediate transaction keeps two
    // processes from both taking the same number.
    return inWriteTransaction(this.#db, () => {
      const key = { service: revision.service, environment: revision.environment };
      const { next } = this.#nextNumber.get(key) as { next: number };
      const row = this.#insert.get({
        ...key,
        number: next,
        version: revision.version,
        spec,
        digest,
        createdBy: revision.createdBy,
        createdAt: this.#now().toISOString(),
      }) as unknown as RevisionRow;
      return toRevision(row);
    });
  }

  get(id: number): Revision | undefined {
    const row = this.#byId.get({ id }) as RevisionRow | undefined;
    return row && toRevision(row);
  }

  getByNumber(key: ServiceEnv, number: number): Revision | undefined {
    const row = this.#byNumber.get({
      service: key.service,
      environment: key.environment,
      number,
    }) as RevisionRow | undefined;
    return row && toRevision(row);
  }

  /** Every service+environment that has a revision. */
  services(): ServiceEnv[] {
    return (this.#services.all() as unknown as ServiceEnv[]).map((row) => ({
      service: row.service,
      environment: row.environment,
    }));
  }

  /** Newest first. */
  list(key: ServiceEnv, options?: { limit?: number }): Revision[] {
    const rows = this.#list.all({
      service: key.service,
      environment: key.environment,
      limit: options?.limit ?? -1,
    }) as unknown as RevisionRow[];
    return rows.map(toRevision);
  }
}

function toRevision(row: RevisionRow): Revision {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    number: row.number,
    version: row.version,
    spec: fromJsonColumn<unknown>(row.spec, `revision ${row.id}`),
    specDigest: row.spec_digest,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}
