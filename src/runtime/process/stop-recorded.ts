/**
 * A clean-up's last word on process instances (the demo's, the system
 * tests', the benchmarks'): stop every one a store still lists, by its
 * record, so nothing outlives the run that started it.
 */
import type { InstanceRecord } from '../runtime.ts';
import type { ProcessRuntime } from './process-runtime.ts';

/**
 * Stops the started instances among `records` side by side, each by its
 * record (the runtime checks the process's identity before any signal). A
 * record with no PID (planned, never started) is skipped, and one that fails
 * to stop does not keep the others from stopping: this never throws.
 */
export async function stopRecordedProcesses(
  runtime: ProcessRuntime,
  records: readonly InstanceRecord[],
  options: { readonly timeoutMs: number },
): Promise<void> {
  await Promise.allSettled(
    records.map((record) =>
      record.handle['pid'] === undefined
        ? Promise.resolve()
        : runtime.stop(record, { timeoutMs: options.timeoutMs }),
    ),
  );
}
