/**
 * The Docker Engine API request that starts one instance, as data
 * (STYLE.md §2): `describeContainer` is pure, so what Switchyard asks the
 * engine for (image, command, environment, ports, volumes, limits, labels)
 * is tested without an engine, and container-engine.ts only sends it.
 *
 * The body is `POST /containers/create?name=<name>`; Docker and Podman
 * (its Docker-compatible API) read it the same way.
 */
import { instanceVariables } from '../instance-variables.ts';
import type { ContainerLaunch, InstanceRequest } from '../runtime.ts';
import { switchyardLabels } from './labels.ts';
import { memoryBytes, nanoCpus } from './resources.ts';

/** Where published ports listen: the router reaches instances on loopback only. */
export const PUBLISH_HOST = '127.0.0.1';

export interface ContainerCreateBody {
  readonly Image: string;
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Env: readonly string[];
  readonly ExposedPorts: Readonly<Record<string, Record<string, never>>>;
  readonly Labels: Readonly<Record<string, string>>;
  /** Seconds; what `docker stop` with no `-t` waits. Switchyard's own stop takes the record's. */
  readonly StopTimeout: number;
  readonly HostConfig: {
    readonly PortBindings: Readonly<
      Record<string, readonly { readonly HostIp: string; readonly HostPort: string }[]>
    >;
    readonly Binds?: readonly string[];
    readonly Memory?: number;
    readonly NanoCpus?: number;
    readonly RestartPolicy: { readonly Name: 'no' };
  };
}

export interface ContainerPlan {
  /** The container's name: the instance id, so `docker ps` shows which instance it is. */
  readonly name: string;
  readonly body: ContainerCreateBody;
}

export interface DescribeOptions {
  readonly request: InstanceRequest;
  readonly launch: ContainerLaunch;
  /** The free port of PUBLISH_HOST the container's port is published on. */
  readonly hostPort: number;
}

export function describeContainer(options: DescribeOptions): ContainerPlan {
  const { request, launch, hostPort } = options;
  const port = `${launch.port}/tcp`;
  // The spec's env and secrets, then the instance variables, which win: PORT
  // must be the port the image's app is told to listen on.
  const env = { ...request.env, ...instanceVariables(request, launch.port) };
  return {
    name: request.instanceId,
    body: {
      Image: launch.image,
      ...commandLine(launch),
      Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
      ExposedPorts: { [port]: {} },
      // Ours last: a user label cannot pass for another instance (the spec refuses them too).
      Labels: { ...launch.labels, ...switchyardLabels(request) },
      StopTimeout: Math.ceil(request.stopTimeoutMs / 1000),
      HostConfig: {
        PortBindings: { [port]: [{ HostIp: PUBLISH_HOST, HostPort: String(hostPort) }] },
        ...(launch.volumes !== undefined &&
          launch.volumes.length > 0 && { Binds: [...launch.volumes] }),
        ...(launch.memory !== undefined && { Memory: memoryBytes(launch.memory) }),
        ...(launch.cpus !== undefined && { NanoCpus: nanoCpus(launch.cpus) }),
        // The controller sees an exit and replaces the instance (with a backoff);
        // an engine restarting it in place would hide the crash and its exit code.
        RestartPolicy: { Name: 'no' },
      },
    },
  };
}

/**
 * `command` replaces the entrypoint and `args` its arguments, as in
 * Kubernetes. A new entrypoint with no `args` runs with none: the image's CMD
 * was written for its own entrypoint, so it is sent as an empty list.
 */
function commandLine(launch: ContainerLaunch): { Entrypoint?: string[]; Cmd?: string[] } {
  if (launch.command !== undefined) {
    return { Entrypoint: [...launch.command], Cmd: [...(launch.args ?? [])] };
  }
  return launch.args === undefined ? {} : { Cmd: [...launch.args] };
}
