/**
 * `switchyard down` (without --keep-router) stops the instances too, after
 * the daemon is gone: with neither controller nor router, an instance serves
 * nobody. Their records leave the store; the rollouts' topology stays, so the
 * next `up` starts the same pools again.
 */
import { isPlanned } from '../controller/planned-instance.ts';
import { openStateStore } from '../state/index.ts';
import { runtimeCache } from './controller-factory.ts';

/** How long one instance may take to finish its requests and exit. */
const STOP_TIMEOUT_MS = 10_000;

export async function stopInstances(options: { readonly stateDir: string }): Promise<number> {
  const store = openStateStore({ dir: options.stateDir });
  try {
    const runtimeOf = runtimeCache(options.stateDir);
    const stored = store.listInstances();
    await Promise.all(
      stored.map(async ({ record }) => {
        const runtime = runtimeOf(record.runtime);
        // A planned record's start may have got as far as a process or a
        // container: the runtime finds it by instance id. A started one is
        // stopped by its record; the runtime checks identity before any signal.
        if (isPlanned(record)) await runtime.stopUnrecorded(record.instanceId);
        else await runtime.stop(record, { timeoutMs: STOP_TIMEOUT_MS });
        store.removeInstance(record.instanceId);
      }),
    );
    return stored.length;
  } finally {
    store.close();
  }
}
