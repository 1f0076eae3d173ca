import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SwitchyardError } from '../../errors.ts';
import type { Clock } from '../clock.ts';
import type { NewEvent, ServiceEnv, StoredEvent } from '../store.ts';
import { fromJsonColumn, toJsonColumn } from './json-column.ts';

interface EventRow {
  id: number;
  service: string;
  environment: string;
  rollout_id: number | null;
  type: string;
  reason: string;
  message: string;
  data: string;
  at: string;
}

export type EventFilter = Partial<ServiceEnv> & {
  rolloutId?: number;
  afterId?: number;
  limit?: number;
};

/**
 * The append-only event log. There is no update or delete here, and triggers
 * in the schema (migration 3) refuse both, so history cannot be rewritten.
 */
export class EventLog {
  readonly #now: Clock;
  readonly #insert: StatementSync;
  readonly #rolloutKey: StatementSync;
  readonly #list: StatementSync;

  constructor(options: { db: DatabaseSync; now: Clock }) {
    this.#now = options.now;
    const db = options.db;
    this.#insert = db.prepare(
      `INSERT INTO events (service, environment, rollout_id, type, reason, message, data, at)
       VALUES (:service, :environment, :rolloutId, :type, :reason, :message, :data, :at)
       RETURNING *`,
    );
    this.#rolloutKey = db.prepare('SELECT service, environment FROM rollouts WHERE id = :id');
    // One static statement for every filter: a NULL parameter means "any".
    this.#list = db.prepare(
      `SELECT * FROM events
       WHERE (:service IS NULL OR service = :service)
         AND (:environment IS NULL OR environment = :environment)
         AND (:rolloutId IS NULL OR rollout_id = :rolloutId)
         AND id > :afterId
       ORDER BY id ASC LIMIT :limit`,
    );
  }

  /**
   * Appends one event. A single INSERT is atomic on its own; callers that
   * change a rollout call this inside their own transaction.
   */
  append(event: NewEvent): StoredEvent {
    const rolloutId = event.rolloutId ?? null;
    if (rolloutId !== null) this.#checkRollout(rolloutId, event);
    const row = this.#insert.get({
      service: event.service,
      environment: event.environment,
      rolloutId,
      type: event.type,
      reason: event.reason,
      message: event.message,
      data: toJsonColumn(event.data ?? {}),
      at: this.#now().toISOString(),
    }) as unknown as EventRow;
    return toEvent(row);
  }

  /** Oldest first; page with `afterId` set to the last id seen. */
  list(filter: EventFilter): StoredEvent[] {
    const rows = this.#list.all({
      service: filter.service ?? null,
      environment: filter.environment ?? null,
      rolloutId: filter.rolloutId ?? null,
      afterId: filter.afterId ?? 0,
      limit: filter.limit ?? -1,
    }) as unknown as EventRow[];
    return rows.map(toEvent);
  }

  #checkRollout(rolloutId: number, event: ServiceEnv): void {
    const owner = this.#rolloutKey.get({ id: rolloutId }) as ServiceEnv | undefined;
    if (owner?.service === event.service && owner.environment === event.environment) return;
    throw new SwitchyardError(
      'STATE_NOT_FOUND',
      `Rollout ${rolloutId} of ${event.service}/${event.environment} does not exist, ` +
        'so no event can be recorded for it. Check the rollout id.',
    );
  }
}

function toEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    service: row.service,
    environment: row.environment,
    rolloutId: row.rollout_id,
    type: row.type,
    reason: row.reason,
    message: row.message,
    data: fromJsonColumn<Record<string, unknown>>(row.data, `event ${row.id}`),
    at: row.at,
  };
}
