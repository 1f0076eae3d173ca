import type { DatabaseSync } from 'node:sqlite';
import type { InstanceRecord } from '../../runtime/runtime.ts';
import { systemClock } from '../clock.ts';
import type { Clock } from '../clock.ts';
import type {
  AcquireLock,
  AcquireResult,
  LockInfo,
  NewEvent,
  NewRevision,
  NewRollout,
  Revision,
  Rollout,
  RolloutUpdate,
  ServiceEnv,
  StateStore,
  StoredEvent,
  StoredInstance,
} from '../store.ts';
import { EventLog } from './event-log.ts';
import type { EventFilter } from './event-log.ts';
import { InstanceTable } from './instance-table.ts';
import type { InstanceFilter } from './instance-table.ts';
import { LockTable } from './lock-table.ts';
import { openDatabase } from './open-database.ts';
import { RevisionTable } from './revision-table.ts';
import { RolloutTable } from './rollout-table.ts';
import type { RolloutEvent } from './rollout-table.ts';

export interface SqliteStateStoreOptions {
  /** The database file; created (with its schema) when missing. */
  readonly path: string;
  /** Drives lock leases and timestamps; tests pass a manual clock. Default: the system clock. */
  readonly now?: Clock;
  /** How long to wait for another process's write lock; default 15 s. */
  readonly busyTimeoutMs?: number;
}

/**
 * The embedded state store: one SQLite file (node:sqlite, WAL). Several
 * processes may open the same file at once; writes serialise on SQLite's
 * write lock. Each table's logic lives in its own module; this class only
 * wires them to one connection and one clock.
 */
export class SqliteStateStore implements StateStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #revisions: RevisionTable;
  readonly #rollouts: RolloutTable;
  readonly #events: EventLog;
  readonly #locks: LockTable;
  readonly #instances: InstanceTable;

  constructor(options: SqliteStateStoreOptions) {
    this.path = options.path;
    const now = options.now ?? systemClock;
    const db = openDatabase({
      path: options.path,
      ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }),
    });
    this.#db = db;
    this.#revisions = new RevisionTable({ db, now });
    this.#events = new EventLog({ db, now });
    this.#rollouts = new RolloutTable({ db, now, events: this.#events });
    this.#locks = new LockTable({ db, now });
    this.#instances = new InstanceTable({ db, now });
  }

  addRevision(revision: NewRevision): Revision {
    return this.#revisions.add(revision);
  }
  getRevision(id: number): Revision | undefined {
    return this.#revisions.get(id);
  }
  getRevisionByNumber(key: ServiceEnv, number: number): Revision | undefined {
    return this.#revisions.getByNumber(key, number);
  }
  listRevisions(key: ServiceEnv, options?: { limit?: number }): Revision[] {
    return this.#revisions.list(key, options);
  }
  listServices(): ServiceEnv[] {
    return this.#revisions.services();
  }

  createRollout(rollout: NewRollout, event: RolloutEvent): Rollout {
    return this.#rollouts.create(rollout, event);
  }
  updateRollout(id: number, update: RolloutUpdate, event?: RolloutEvent): Rollout {
    return this.#rollouts.update(id, update, event);
  }
  getRollout(id: number): Rollout | undefined {
    return this.#rollouts.get(id);
  }
  activeRollout(key: ServiceEnv): Rollout | undefined {
    return this.#rollouts.active(key);
  }
  listRollouts(key: ServiceEnv, options?: { limit?: number }): Rollout[] {
    return this.#rollouts.list(key, options);
  }

  appendEvent(event: NewEvent): StoredEvent {
    return this.#events.append(event);
  }
  listEvents(filter: EventFilter): StoredEvent[] {
    return this.#events.list(filter);
  }

  acquireLock(request: AcquireLock): AcquireResult {
    return this.#locks.acquire(request);
  }
  renewLock(key: ServiceEnv, holder: string, leaseMs: number): LockInfo {
    return this.#locks.renew(key, holder, leaseMs);
  }
  releaseLock(key: ServiceEnv, holder: string): void {
    this.#locks.release(key, holder);
  }
  forceReleaseLock(key: ServiceEnv): LockInfo | undefined {
    return this.#locks.forceRelease(key);
  }
  getLock(key: ServiceEnv): LockInfo | undefined {
    return this.#locks.get(key);
  }

  putInstance(record: InstanceRecord, desired?: boolean): void {
    this.#instances.put(record, desired);
  }
  setInstanceDesired(instanceId: string, desired: boolean): void {
    this.#instances.setDesired(instanceId, desired);
  }
  removeInstance(instanceId: string): void {
    this.#instances.remove(instanceId);
  }
  listInstances(filter?: InstanceFilter): StoredInstance[] {
    return this.#instances.list(filter);
  }

  /** Closing twice is harmless. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
