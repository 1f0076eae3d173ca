/**
 * The labels Switchyard puts on every container it creates. They are how a
 * restarted controller finds its own containers (by instance id), and how a
 * person finds them (`docker ps --filter label=switchyard.service=shop`).
 * Containers without them are never touched.
 */
import type { InstanceRequest } from '../runtime.ts';

export const LABEL = {
  service: 'switchyard.service',
  environment: 'switchyard.environment',
  revision: 'switchyard.revision',
  version: 'switchyard.version',
  pool: 'switchyard.pool',
  instance: 'switchyard.instance',
} as const;

/** User labels may not use this prefix: the spec refuses them (src/spec/schema/runtime.ts). */
export const RESERVED_LABEL_PREFIX = 'switchyard.';

export function switchyardLabels(request: InstanceRequest): Record<string, string> {
  return {
    [LABEL.service]: request.service,
    [LABEL.environment]: request.environment,
    [LABEL.revision]: String(request.revision),
    [LABEL.version]: request.version,
    [LABEL.pool]: request.pool,
    [LABEL.instance]: request.instanceId,
  };
}

/** The engine's list filter for the containers of one instance id. */
export function instanceFilter(instanceId: string): { label: string[] } {
  return { label: [`${LABEL.instance}=${instanceId}`] };
}
