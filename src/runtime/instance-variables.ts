/**
 * DESIGN.md's instance variables: what every instance gets in its
 * environment, whatever the runtime. `port` is the port the app must listen
 * on where it runs: a free port of the host for a process, the image's port
 * inside a container.
 */
import { switchyardVariables } from '../spec/switchyard-variables.ts';
import type { InstanceRequest } from './runtime.ts';

export function instanceVariables(request: InstanceRequest, port: number): Record<string, string> {
  return {
    PORT: String(port),
    ...switchyardVariables({ ...request, instance: request.instanceId }),
  };
}
