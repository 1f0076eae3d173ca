import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { SwitchyardError } from '../../errors.ts';
import type { Clock } from '../clock.ts';
import type { AcquireLock, AcquireResult, LockInfo, ServiceEnv } from '../store.ts';
import { inWriteTransaction } from './transaction.ts';

interface LockRow {
  service: string;
  environment: string;
  holder: string;
  reason: string;
  since_ms: number;
  expires_at_ms: number;
}

/**
 * Deploy locks, one per service+environment, held on a lease: the holder
 * renews before `expiresAt`; once the lease lapses (expiresAt <= now) anyone
 * may take the lock over. Every check-then-write runs in one immediate
 * transaction, so of several processes racing for a lock exactly one wins
 * and the others see the winner.
 */
export class LockTable {
  readonly #db: DatabaseSync;
  readonly #now: Clock;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #extend: StatementSync;
  readonly #delete: StatementSync;

  constructor(options: { db: DatabaseSync; now: Clock }) {
    this.#db = options.db;
    this.#now = options.now;
    const db = options.db;
    this.#get = db.prepare(
      'SELECT * FROM locks WHERE service = :service AND environment = :environment',
    );
    this.#put = db.prepare(
      `INSERT OR REPLACE INTO locks (service, environment, holder, reason, since_ms, expires_at_ms)
       VALUES (:service, :environment, :holder, :reason, :sinceMs, :expiresAtMs) RETURNING *`,
    );
    this.#extend = db.prepare(
      `UPDATE locks SET expires_at_ms = :expiresAtMs, reason = COALESCE(:reason, reason)
       WHERE service = :service AND environment = :environment RETURNING *`,
    );
    this.#delete = db.prepare(
      'DELETE FROM locks WHERE service = :service AND environment = :environment',
    );
  }

  /** Free or lapsed: taken. Held by the same holder: renewed. Otherwise: who holds it. */
  acquire(request: AcquireLock): AcquireResult {
    checkLease(request.leaseMs);
    const key = keyOf(request);
    return inWriteTransaction(this.#db, () => {
      const nowMs = this.#now().getTime();
      const row = this.#row(key);
      if (row === undefined || row.expires_at_ms <= nowMs) {
        const taken = this.#put.get({
          ...key,
          holder: request.holder,
          reason: request.reason,
          sinceMs: nowMs,
          expiresAtMs: nowMs + request.leaseMs,
        }) as unknown as LockRow;
        return { acquired: true, lock: toLockInfo(taken) };
      }
      if (row.holder === request.holder) {
        const renewed = this.#extend.get({
          ...key,
          reason: request.reason,
          expiresAtMs: nowMs + request.leaseMs,
        }) as unknown as LockRow;
        return { acquired: true, lock: toLockInfo(renewed) };
      }
      return { acquired: false, heldBy: toLockInfo(row) };
    });
  }

  /**
   * Extends the holder's lease. A lease that lapsed is still renewed if no
   * one took the lock over meanwhile: no one else held it, so the holder's
   * work was never shared.
   */
  renew(key: ServiceEnv, holder: string, leaseMs: number): LockInfo {
    checkLease(leaseMs);
    return inWriteTransaction(this.#db, () => {
      const row = this.#row(keyOf(key));
      if (row?.holder !== holder) throw notHeld({ key, holder, row, action: 'renew' });
      const renewed = this.#extend.get({
        ...keyOf(key),
        reason: null,
        expiresAtMs: this.#now().getTime() + leaseMs,
      }) as unknown as LockRow;
      return toLockInfo(renewed);
    });
  }

  /** Releasing a lock no one holds is a no-op; releasing someone else's is an error. */
  release(key: ServiceEnv, holder: string): void {
    inWriteTransaction(this.#db, () => {
      const row = this.#row(keyOf(key));
      if (row === undefined) return;
      if (row.holder !== holder) throw notHeld({ key, holder, row, action: 'release' });
      this.#delete.run(keyOf(key));
    });
  }

  /** Removes the lock whoever holds it (`lock release --force`); returns what it removed. */
  forceRelease(key: ServiceEnv): LockInfo | undefined {
    return inWriteTransaction(this.#db, () => {
      const row = this.#row(keyOf(key));
      if (row !== undefined) this.#delete.run(keyOf(key));
      return row && toLockInfo(row);
    });
  }

  /** The lock while its lease runs; a lapsed lease is held by no one. */
  get(key: ServiceEnv): LockInfo | undefined {
    const row = this.#row(keyOf(key));
    if (row === undefined || row.expires_at_ms <= this.#now().getTime()) return undefined;
    return toLockInfo(row);
  }

  #row(key: ServiceEnv): LockRow | undefined {
    return this.#get.get(keyOf(key)) as LockRow | undefined;
  }
}

function checkLease(leaseMs: number): void {
  if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) {
    throw new RangeError(
      `A lock lease must be a positive whole number of milliseconds, not ${leaseMs}.`,
    );
  }
}

/** Only the two key fields: named parameters must match the statement exactly. */
function keyOf(key: ServiceEnv): { service: string; environment: string } {
  return { service: key.service, environment: key.environment };
}

function notHeld(options: {
  key: ServiceEnv;
  holder: string;
  row: LockRow | undefined;
  action: 'renew' | 'release';
}): SwitchyardError {
  const where = `${options.key.service}/${options.key.environment}`;
  const now =
    options.row === undefined
      ? 'no one holds it now'
      : `it is held by ${options.row.holder} since ${new Date(options.row.since_ms).toISOString()}`;
  return new SwitchyardError(
    'LOCK_NOT_HELD',
    `${options.holder} cannot ${options.action} the deploy lock of ${where}: ${now}. ` +
      'Stop what relied on the lock; acquire it again before deploying.',
  );
}

function toLockInfo(row: LockRow): LockInfo {
  return {
    service: row.service,
    environment: row.environment,
    holder: row.holder,
    reason: row.reason,
    since: new Date(row.since_ms).toISOString(),
    expiresAt: new Date(row.expires_at_ms).toISOString(),
  };
}
