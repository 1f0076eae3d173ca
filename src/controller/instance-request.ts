/**
 * What the runtime is asked to start for one instance of a pool, from the
 * revision's resolved spec: the same identity and environment for every
 * runtime, and each runtime's own part (a process's command, a container's
 * image and settings). Pure, so what reaches a driver is tested without one.
 */
import type { PoolPlan } from '../rollout/topology.ts';
import type { ContainerLaunch, InstanceRequest } from '../runtime/runtime.ts';
import { durationMs } from '../spec/index.ts';
import type { ContainerRuntimeSpec, ResolvedSpec } from '../spec/index.ts';
import type { ServiceEnv } from '../state/store.ts';

/** How long a process gets after SIGTERM; instances are drained before, so little is in flight. */
export const PROCESS_STOP_TIMEOUT_MS = 10_000;

export interface InstanceRequestOptions {
  readonly key: ServiceEnv;
  readonly plan: Pick<PoolPlan, 'name' | 'revision' | 'version'>;
  readonly spec: ResolvedSpec;
  readonly instanceId: string;
  /** The values of the spec's `secrets`. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** The request, or undefined for a runtime the controller cannot run yet (deploy refuses those). */
export function instanceRequestFor(options: InstanceRequestOptions): InstanceRequest | undefined {
  const { key, plan, spec, instanceId, secrets } = options;
  const identity = {
    service: key.service,
    environment: key.environment,
    revision: plan.revision,
    version: plan.version,
    pool: plan.name,
    instanceId,
  };
  const runtime = spec.runtime;
  switch (runtime.type) {
    case 'process':
      return {
        ...identity,
        command: runtime.command,
        ...(runtime.cwd !== undefined && { cwd: runtime.cwd }),
        env: { ...spec.env, ...secrets },
        secretNames: Object.keys(secrets),
        stopTimeoutMs: PROCESS_STOP_TIMEOUT_MS,
      };
    case 'container':
      return {
        ...identity,
        container: containerLaunch(runtime, spec.port),
        // The container's own env is more specific than the service's.
        env: { ...spec.env, ...runtime.env, ...secrets },
        secretNames: Object.keys(secrets),
        stopTimeoutMs: durationMs(runtime.stopTimeout),
      };
    default:
      return undefined;
  }
}

function containerLaunch(runtime: ContainerRuntimeSpec, specPort: number): ContainerLaunch {
  return {
    image: runtime.image,
    ...(runtime.command !== undefined && { command: runtime.command }),
    ...(runtime.args !== undefined && { args: runtime.args }),
    port: runtime.port ?? specPort,
    ...(runtime.volumes !== undefined && { volumes: runtime.volumes }),
    ...(runtime.memory !== undefined && { memory: runtime.memory }),
    ...(runtime.cpus !== undefined && { cpus: runtime.cpus }),
    ...(runtime.labels !== undefined && { labels: runtime.labels }),
    pull: runtime.pull,
  };
}
