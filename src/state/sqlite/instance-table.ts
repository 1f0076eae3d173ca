import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SwitchyardError } from '../../errors.ts';
import type { InstanceRecord } from '../../runtime/runtime.ts';
import type { Clock } from '../clock.ts';
import type { ServiceEnv, StoredInstance } from '../store.ts';
import { fromJsonColumn, toJsonColumn } from './json-column.ts';

interface InstanceRow {
  instance_id: string;
  record: string;
  desired: number;
}

export type InstanceFilter = Partial<ServiceEnv> & { pool?: string };

/**
 * Instances a runtime started, with the runtime's record (PID and start time
 * for processes), so a restarted controller finds them again and stops the
 * ones it no longer wants.
 */
export class InstanceTable {
  readonly #now: Clock;
  readonly #put: StatementSync;
  readonly #setDesired: StatementSync;
  readonly #remove: StatementSync;
  readonly #list: StatementSync;

  constructor(options: { db: DatabaseSync; now: Clock }) {
    this.#now = options.now;
    const db = options.db;
    // Re-putting a record without `desired` keeps the earlier choice: a record
    // refreshed after a restart must not bring back an instance being stopped.
    this.#put = db.prepare(
      `INSERT INTO instances (instance_id, service, environment, pool, revision, record, desired, updated_at)
       VALUES (:instanceId, :service, :environment, :pool, :revision, :record, COALESCE(:desired, 1), :at)
       ON CONFLICT (instance_id) DO UPDATE SET
         service = excluded.service, environment = excluded.environment, pool = excluded.pool,
         revision = excluded.revision, record = excluded.record,
         desired = COALESCE(:desired, instances.desired), updated_at = excluded.updated_at`,
    );
    this.#setDesired = db.prepare(
      'UPDATE instances SET desired = :desired, updated_at = :at WHERE instance_id = :instanceId',
    );
    this.#remove = db.prepare('DELETE FROM instances WHERE instance_id = :instanceId');
    this.#list = db.prepare(
      `SELECT instance_id, record, desired FROM instances
       WHERE (:service IS NULL OR service = :service)
         AND (:environment IS NULL OR environment = :environment)
         AND (:pool IS NULL OR pool = :pool)
       ORDER BY service, environment, pool, instance_id`,
    );
  }

  put(record: InstanceRecord, desired?: boolean): void {
    this.#put.run({
      instanceId: record.instanceId,
      service: record.service,
      environment: record.environment,
      pool: record.pool,
      revision: record.revision,
      record: toJsonColumn(record),
      desired: desired === undefined ? null : Number(desired),
      at: this.#now().toISOString(),
    });
  }

  setDesired(instanceId: string, desired: boolean): void {
    const { changes } = this.#setDesired.run({
      instanceId,
      desired: Number(desired),
      at: this.#now().toISOString(),
    });
    if (Number(changes) === 0) {
      throw new SwitchyardError(
        'STATE_NOT_FOUND',
        `Instance ${instanceId} is not in the state store, so it cannot be marked ` +
          `${desired ? 'wanted' : 'unwanted'}. Record it with putInstance first.`,
      );
    }
  }

  /** Removing an instance that is not there is a no-op: cleanup may run twice. */
  remove(instanceId: string): void {
    this.#remove.run({ instanceId });
  }

  list(filter?: InstanceFilter): StoredInstance[] {
    const rows = this.#list.all({
      service: filter?.service ?? null,
      environment: filter?.environment ?? null,
      pool: filter?.pool ?? null,
    }) as unknown as InstanceRow[];
    return rows.map((row) => ({
      record: fromJsonColumn<InstanceRecord>(row.record, `instance ${row.instance_id}`),
      desired: row.desired === 1,
    }));
  }
}
