/**
 * A test double for src/runtime/reconcile.test.ts: only the StateStore's instance
 * methods, in memory. The real SQLite store has its own tests.
 */
import type { InstanceRecord } from '../../src/runtime/runtime.ts';
import type { StateStore, StoredInstance } from '../../src/state/store.ts';

type InstanceMethods = Pick<
  StateStore,
  'putInstance' | 'setInstanceDesired' | 'removeInstance' | 'listInstances'
>;

export class InMemoryInstanceStore implements InstanceMethods {
  readonly #instances = new Map<string, StoredInstance>();

  putInstance(record: InstanceRecord, desired = true): void {
    // Stored as JSON, as a real store would, so nothing is shared by reference.
    this.#instances.set(record.instanceId, {
      record: JSON.parse(JSON.stringify(record)) as InstanceRecord,
      desired,
    });
  }

  setInstanceDesired(instanceId: string, desired: boolean): void {
    const stored = this.#instances.get(instanceId);
    if (stored !== undefined) this.#instances.set(instanceId, { ...stored, desired });
  }

  removeInstance(instanceId: string): void {
    this.#instances.delete(instanceId);
  }

  listInstances(): StoredInstance[] {
    return [...this.#instances.values()];
  }
}
