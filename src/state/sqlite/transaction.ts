import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` in a write transaction that takes SQLite's write lock up front
 * (BEGIN IMMEDIATE). A deferred transaction that reads first and writes later
 * can fail with SQLITE_BUSY when another process wrote in between, without
 * waiting; an immediate one waits for the busy timeout instead, so two
 * processes serialise their read-then-write steps (lock checks, numbering).
 *
 * Nested calls join the transaction already open on this connection.
 */
export function inWriteTransaction<T>(db: DatabaseSync, work: () => T): T {
  if (db.isTransaction) return work();
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // COMMIT itself may have failed; SQLite may also have rolled back already.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
