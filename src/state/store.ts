/**
 * The state store (DESIGN.md, state/): revisions, rollouts, the event log,
 * locks and the instances the runtime started. One interface; SQLite
 * (node:sqlite) is the default implementation, PostgreSQL comes later for a
 * shared multi-controller setup. Every write that changes a rollout is one
 * transaction, so a controller killed at any point resumes where it was.
 */
import type { InstanceRecord } from '../runtime/runtime.ts';

export interface ServiceEnv {
  readonly service: string;
  readonly environment: string;
}

export interface NewRevision extends ServiceEnv {
  readonly version: string;
  /** The resolved spec, stored whole (DESIGN.md, Revisions). */
  readonly spec: unknown;
  readonly createdBy: string;
}

export interface Revision extends NewRevision {
  /** Per service+environment, 1, 2, 3… */
  readonly number: number;
  readonly id: number;
  /** sha256 of the canonical JSON of the spec. */
  readonly specDigest: string;
  readonly createdAt: string;
}

export type RolloutStatus =
  'pending' | 'progressing' | 'paused' | 'succeeded' | 'failed' | 'aborted' | 'rolledBack';

export interface PoolWeight {
  readonly pool: string;
  readonly weight: number;
}

export interface NewRollout extends ServiceEnv {
  readonly revisionId: number;
  readonly fromRevisionId: number | null;
  readonly strategy: string;
}

export interface Rollout extends NewRollout {
  readonly id: number;
  readonly status: RolloutStatus;
  readonly step: number;
  readonly weights: readonly PoolWeight[];
  /** Reason constant of the last transition (one vocabulary, STYLE.md §8). */
  readonly reason: string;
  readonly message: string;
  /** Strategy-owned state (timers' start times, counters), opaque to the store. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

export interface RolloutUpdate {
  readonly status?: RolloutStatus;
  readonly step?: number;
  readonly weights?: readonly PoolWeight[];
  readonly reason?: string;
  readonly message?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface NewEvent extends ServiceEnv {
  readonly rolloutId?: number | null;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface StoredEvent extends NewEvent {
  readonly id: number;
  readonly at: string;
}

export interface LockInfo extends ServiceEnv {
  readonly holder: string;
  readonly reason: string;
  readonly since: string;
  readonly expiresAt: string;
}

export interface AcquireLock extends ServiceEnv {
  readonly holder: string;
  readonly reason: string;
  readonly leaseMs: number;
}

export type AcquireResult =
  | { readonly acquired: true; readonly lock: LockInfo }
  | { readonly acquired: false; readonly heldBy: LockInfo };

export interface StoredInstance {
  readonly record: InstanceRecord;
  /** Wanted by the controller; false once it decides to stop the instance. */
  readonly desired: boolean;
}

export interface StateStore {
  // revisions
  addRevision(revision: NewRevision): Revision;
  getRevision(id: number): Revision | undefined;
  getRevisionByNumber(key: ServiceEnv, number: number): Revision | undefined;
  listRevisions(key: ServiceEnv, options?: { limit?: number }): Revision[];
  /** Every service+environment with at least one revision, sorted. */
  listServices(): ServiceEnv[];

  // rollouts: create and update each append an event in the same transaction
  createRollout(rollout: NewRollout, event: Omit<NewEvent, keyof ServiceEnv>): Rollout;
  updateRollout(
    id: number,
    update: RolloutUpdate,
    event?: Omit<NewEvent, keyof ServiceEnv>,
  ): Rollout;
  getRollout(id: number): Rollout | undefined;
  /** The rollout of this service+environment that has not finished, if any. */
  activeRollout(key: ServiceEnv): Rollout | undefined;
  listRollouts(key: ServiceEnv, options?: { limit?: number }): Rollout[];

  // events (append-only)
  appendEvent(event: NewEvent): StoredEvent;
  listEvents(
    filter: Partial<ServiceEnv> & { rolloutId?: number; afterId?: number; limit?: number },
  ): StoredEvent[];

  // locks (lease-based; renew before expiresAt; a lapsed lease can be taken over)
  acquireLock(request: AcquireLock): AcquireResult;
  renewLock(key: ServiceEnv, holder: string, leaseMs: number): LockInfo;
  releaseLock(key: ServiceEnv, holder: string): void;
  forceReleaseLock(key: ServiceEnv): LockInfo | undefined;
  getLock(key: ServiceEnv): LockInfo | undefined;

  // instances started by a runtime (so a restarted controller finds them again)
  putInstance(record: InstanceRecord, desired?: boolean): void;
  setInstanceDesired(instanceId: string, desired: boolean): void;
  removeInstance(instanceId: string): void;
  listInstances(filter?: Partial<ServiceEnv> & { pool?: string }): StoredInstance[];

  close(): void;
}
