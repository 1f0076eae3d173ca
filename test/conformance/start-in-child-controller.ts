/**
 * A throwaway "controller" for the conformance case where an instance must
 * outlive the process that started it: it starts one instance with the named
 * runtime, prints the record as JSON and exits.
 *
 * Usage: node start-in-child-controller.ts '<{"type":"process","context":...,"request":...}>'
 */
import { createRuntime } from '../../src/runtime/create-runtime.ts';
import type { RuntimeType } from '../../src/runtime/create-runtime.ts';
import type { InstanceRequest } from '../../src/runtime/runtime.ts';

const { type, context, request } = JSON.parse(process.argv[2] ?? '{}') as {
  type: RuntimeType;
  context: { stateDir: string; logMaxBytes?: number };
  request: InstanceRequest;
};
const record = await createRuntime({ type, ...context }).start(request);
process.stdout.write(JSON.stringify(record) + '\n');
