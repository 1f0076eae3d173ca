/**
 * After a controller restart, makes the store's list of instances match what
 * is really running: it drops instances that ended while nobody watched
 * (stopping an exited one first, which frees what it holds: the container
 * runtime removes the container) and stops running ones the controller no
 * longer wants. Identity checks live in
 * the driver (a process record names a PID *and* its start time), so an
 * instance whose PID was reused is reported gone and never signalled.
 */
import type { StateStore } from '../state/store.ts';
import type { InstanceRecord, InstanceStatus, Runtime, StopResult } from './runtime.ts';

export interface ReconcileOptions {
  readonly runtime: Runtime;
  /** Only the instance methods are used. */
  readonly store: Pick<StateStore, 'listInstances' | 'removeInstance'>;
  /** Stop timeout for unwanted instances; default each record's own. */
  readonly stopTimeoutMs?: number;
}

export interface ReconcileSummary {
  /** Running and still wanted: left as they are. */
  readonly running: readonly InstanceRecord[];
  /** Ended while the controller was away (or their identity was reused): removed from the store. */
  readonly ended: readonly { readonly record: InstanceRecord; readonly status: InstanceStatus }[];
  /** Running but no longer wanted: stopped and removed from the store. */
  readonly stopped: readonly { readonly record: InstanceRecord; readonly result: StopResult }[];
  /** Could not be inspected or stopped: left in the store for the next pass. */
  readonly failed: readonly { readonly record: InstanceRecord; readonly error: unknown }[];
}

export async function reconcileInstances(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { runtime, store } = options;
  const running: InstanceRecord[] = [];
  const ended: { record: InstanceRecord; status: InstanceStatus }[] = [];
  const stopped: { record: InstanceRecord; result: StopResult }[] = [];
  const failed: { record: InstanceRecord; error: unknown }[] = [];

  for (const { record, desired } of store.listInstances()) {
    if (record.runtime !== runtime.type) continue;
    try {
      const status = await runtime.inspect(record);
      if (status.state !== 'running') {
        // An exited container still exists on its engine: stopping it removes it.
        if (status.state === 'exited') await runtime.stop(record);
        store.removeInstance(record.instanceId);
        ended.push({ record, status });
      } else if (!desired) {
        const timeout =
          options.stopTimeoutMs === undefined ? {} : { timeoutMs: options.stopTimeoutMs };
        const result = await runtime.stop(record, timeout);
        store.removeInstance(record.instanceId);
        stopped.push({ record, result });
      } else {
        running.push(record);
      }
    } catch (error) {
      failed.push({ record, error });
    }
  }
  return { running, ended, stopped, failed };
}
