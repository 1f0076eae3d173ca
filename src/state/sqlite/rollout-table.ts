import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SwitchyardError } from '../../errors.ts';
import type { Clock } from '../clock.ts';
import type {
  NewEvent,
  NewRollout,
  PoolWeight,
  Rollout,
  RolloutStatus,
  RolloutUpdate,
  ServiceEnv,
} from '../store.ts';
import type { EventLog } from './event-log.ts';
import { fromJsonColumn, toJsonColumn } from './json-column.ts';
import { inWriteTransaction } from './transaction.ts';

/** Statuses after which a rollout is finished; `activeRollout` skips them. */
export const FINAL_ROLLOUT_STATUSES: readonly RolloutStatus[] = [
  'succeeded',
  'failed',
  'aborted',
  'rolledBack',
];

/** Event type written for a status change when the caller gives no event. */
export const ROLLOUT_STATUS_EVENT = 'rollout.status';

export type RolloutEvent = Omit<NewEvent, keyof ServiceEnv>;

interface RolloutRow {
  id: number;
  service: string;
  environment: string;
  revision_id: number;
  from_revision_id: number | null;
  strategy: string;
  status: RolloutStatus;
  step: number;
  weights: string;
  reason: string;
  message: string;
  data: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

/**
 * Rollouts. Every change is written together with its event in one
 * immediate transaction: a controller killed between the two cannot leave a
 * transition without its record, or a record of a transition that never was.
 */
export class RolloutTable {
  readonly #db: DatabaseSync;
  readonly #now: Clock;
  readonly #events: EventLog;
  readonly #revisionKey: StatementSync;
  readonly #insert: StatementSync;
  readonly #update: StatementSync;
  readonly #byId: StatementSync;
  readonly #active: StatementSync;
  readonly #list: StatementSync;

  constructor(options: { db: DatabaseSync; now: Clock; events: EventLog }) {
    this.#db = options.db;
    this.#now = options.now;
    this.#events = options.events;
    const db = options.db;
    this.#revisionKey = db.prepare('SELECT service, environment FROM revisions WHERE id = :id');
    this.#insert = db.prepare(
      `INSERT INTO rollouts (service, environment, revision_id, from_revision_id, strategy, status,
         step, weights, reason, message, data, created_at, updated_at, finished_at)
       VALUES (:service, :environment, :revisionId, :fromRevisionId, :strategy, 'pending',
         0, '[]', :reason, :message, '{}', :at, :at, NULL)
       RETURNING *`,
    );
    this.#update = db.prepare(
      `UPDATE rollouts SET status = :status, step = :step, weights = :weights, reason = :reason,
         message = :message, data = :data, updated_at = :updatedAt, finished_at = :finishedAt
       WHERE id = :id RETURNING *`,
    );
    this.#byId = db.prepare('SELECT * FROM rollouts WHERE id = :id');
    this.#active = db.prepare(
      `SELECT * FROM rollouts WHERE service = :service AND environment = :environment
         AND status NOT IN ('succeeded', 'failed', 'aborted', 'rolledBack')
       ORDER BY id DESC LIMIT 1`,
    );
    this.#list = db.prepare(
      `SELECT * FROM rollouts WHERE service = :service AND environment = :environment
       ORDER BY id DESC LIMIT :limit`,
    );
  }

  /** A new rollout starts `pending` at step 0; its first event is written with it. */
  create(rollout: NewRollout, event: RolloutEvent): Rollout {
    return inWriteTransaction(this.#db, () => {
      this.#checkRevision(rollout.revisionId, rollout);
      if (rollout.fromRevisionId !== null) this.#checkRevision(rollout.fromRevisionId, rollout);
      const row = this.#insert.get({
        service: rollout.service,
        environment: rollout.environment,
        revisionId: rollout.revisionId,
        fromRevisionId: rollout.fromRevisionId,
        strategy: rollout.strategy,
        reason: event.reason,
        message: event.message,
        at: this.#now().toISOString(),
      }) as unknown as RolloutRow;
      const created = toRollout(row);
      this.#events.append({ ...event, ...keyOf(created), rolloutId: created.id });
      return created;
    });
  }

  /**
   * Applies the update and writes `event` in the same transaction. Without an
   * event, a status change still gets one (type `rollout.status`) so every
   * transition is in the log; saving only weights, step or data adds none.
   */
  update(id: number, update: RolloutUpdate, event?: RolloutEvent): Rollout {
    return inWriteTransaction(this.#db, () => {
      const current = this.get(id);
      if (current === undefined) {
        throw new SwitchyardError(
          'STATE_NOT_FOUND',
          `Rollout ${id} does not exist in the state store, so it cannot be updated. Check the rollout id.`,
        );
      }
      const at = this.#now().toISOString();
      const status = update.status ?? current.status;
      const finishing = isFinal(status) && !isFinal(current.status);
      const row = this.#update.get({
        id,
        status,
        step: update.step ?? current.step,
        weights: toJsonColumn(update.weights ?? current.weights),
        reason: update.reason ?? event?.reason ?? current.reason,
        message: update.message ?? event?.message ?? current.message,
        data: toJsonColumn(update.data ?? current.data),
        updatedAt: at,
        finishedAt: finishing ? at : isFinal(status) ? current.finishedAt : null,
      }) as unknown as RolloutRow;
      const updated = toRollout(row);
      const record = event ?? statusEvent(current, updated);
      if (record !== undefined) {
        this.#events.append({ ...record, ...keyOf(updated), rolloutId: id });
      }
      return updated;
    });
  }

  get(id: number): Rollout | undefined {
    const row = this.#byId.get({ id }) as RolloutRow | undefined;
    return row && toRollout(row);
  }

  /** The newest rollout of this service+environment that has not finished. */
  active(key: ServiceEnv): Rollout | undefined {
    const row = this.#active.get({ service: key.service, environment: key.environment }) as
      RolloutRow | undefined;
    return row && toRollout(row);
  }

  /** Newest first. */
  list(key: ServiceEnv, options?: { limit?: number }): Rollout[] {
    const rows = this.#list.all({
      service: key.service,
      environment: key.environment,
      limit: options?.limit ?? -1,
    }) as unknown as RolloutRow[];
    return rows.map(toRollout);
  }

  #checkRevision(revisionId: number, rollout: ServiceEnv): void {
    const owner = this.#revisionKey.get({ id: revisionId }) as ServiceEnv | undefined;
    if (owner?.service === rollout.service && owner.environment === rollout.environment) return;
    throw new SwitchyardError(
      'STATE_NOT_FOUND',
      `Revision id ${revisionId} of ${rollout.service}/${rollout.environment} does not exist, ` +
        'so no rollout can be created for it. Add the revision first.',
    );
  }
}

export function isFinal(status: RolloutStatus): boolean {
  return FINAL_ROLLOUT_STATUSES.includes(status);
}

function statusEvent(before: Rollout, after: Rollout): RolloutEvent | undefined {
  if (before.status === after.status) return undefined;
  return {
    type: ROLLOUT_STATUS_EVENT,
    reason: after.reason,
    message: after.message,
    data: { from: before.status, to: after.status },
  };
}

function keyOf(rollout: Rollout): ServiceEnv {
  return { service: rollout.service, environment: rollout.environment };
}

function toRollout(row: RolloutRow): Rollout {
  const where = `rollout ${row.id}`;
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    revisionId: row.revision_id,
    fromRevisionId: row.from_revision_id,
    strategy: row.strategy,
    status: row.status,
    step: row.step,
    weights: fromJsonColumn<PoolWeight[]>(row.weights, where),
    reason: row.reason,
    message: row.message,
    data: fromJsonColumn<Record<string, unknown>>(row.data, where),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
