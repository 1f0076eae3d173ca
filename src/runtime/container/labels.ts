/**
 * The labels Switchyard puts on every container it creates. They are how a
 * restarted controller finds its own containers (by instance id), and how a
 * person finds them (`docker ps --filter label=switchyard.service=shop`).
 * Containers without them are never touched.
 */
import type { InstanceRequest } from '../runtime.ts';
import { secretValuesIn } from '../secret-mask.ts';

export const LABEL = {
  service: 'switchyard.service',
  environment: 'switchyard.environment',
  revision: 'switchyard.revision',
  version: 'switchyard.version',
  pool: 'switchyard.pool',
  instance: 'switchyard.instance',
  /** The names (not values) of the env variables that are secrets, comma-separated. */
  secrets: 'switchyard.secrets',
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
    ...(request.secretNames !== undefined &&
      request.secretNames.length > 0 && { [LABEL.secrets]: request.secretNames.join(',') }),
  };
}

/**
 * The values to mask in a container's output: those of the variables its
 * `switchyard.secrets` label names, read from the container's own
 * environment, so they are never stored anywhere else.
 */
export function secretValuesOf(info: {
  readonly Config: { readonly Labels?: Record<string, string>; readonly Env?: string[] | null };
}): string[] {
  const names = (info.Config.Labels?.[LABEL.secrets] ?? '').split(',').filter(Boolean);
  if (names.length === 0) return [];
  const env = Object.fromEntries(
    (info.Config.Env ?? []).map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
  return secretValuesIn(env, names);
}

/** The engine's list filter for the containers of one instance id. */
export function instanceFilter(instanceId: string): { label: string[] } {
  return { label: [`${LABEL.instance}=${instanceId}`] };
}
