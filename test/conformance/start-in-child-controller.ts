/**
 * A throwaway "controller" for the conformance case where an instance must
 * outlive the process that started it: it starts one instance with the
 * process runtime, prints the record as JSON and exits.
 *
 * Usage: node start-in-child-controller.ts '<{"context":...,"request":...}>'
 */
import { ProcessRuntime } from '../../src/runtime/process/process-runtime.ts';
import type { InstanceRequest } from '../../src/runtime/runtime.ts';

const { context, request } = JSON.parse(process.argv[2] ?? '{}') as {
  context: { stateDir: string; logMaxBytes?: number };
  request: InstanceRequest;
};
const record = await new ProcessRuntime(context).start(request);
process.stdout.write(JSON.stringify(record) + '\n');
