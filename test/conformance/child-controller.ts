/**
 * The conformance hook `startFromExitedController` for any driver: runs
 * start-in-child-controller.ts as a separate Node process, which starts one
 * instance with the named runtime, prints its record and exits.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RuntimeType } from '../../src/runtime/create-runtime.ts';
import type { InstanceRecord, InstanceRequest } from '../../src/runtime/runtime.ts';
import type { ConformanceContext } from './runtime-conformance.ts';

export function startInChildController(
  type: RuntimeType,
  context: ConformanceContext,
  request: InstanceRequest,
): Promise<InstanceRecord> {
  const script = fileURLToPath(new URL('./start-in-child-controller.ts', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify({ type, context, request })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the child controller exited with ${code}`));
      resolve(JSON.parse(output) as InstanceRecord);
    });
  });
}
