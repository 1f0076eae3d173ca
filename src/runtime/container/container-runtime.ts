/**
 * The container runtime: each instance is a container of the spec's image on
 * a Docker Engine API (Docker or Podman), with its port published on
 * 127.0.0.1 where the router reaches it, and Switchyard's labels (labels.ts)
 * so a restarted controller finds its own containers and no others.
 *
 * A record names its container by id, and the container's labels must name
 * the record's instance: a container that is gone, or another one, is never
 * signalled. `stop` asks with the image's stop signal, kills after the
 * timeout, keeps the exit code and last log lines under the state directory
 * (kept-files.ts), then removes the container; `inspect` and `logs` still
 * answer from what was kept.
 */
import { SwitchyardError } from '../../errors.ts';
import { findFreePort } from '../process/free-port.ts';
import { readLogLines } from '../process/log-reader.ts';
import type {
  ContainerLaunch,
  InstanceRecord,
  InstanceRequest,
  InstanceStatus,
  LogOptions,
  Runtime,
  StopResult,
} from '../runtime.ts';
import { checkSafeNames } from '../safe-names.ts';
import { startedRecord } from '../started-record.ts';
import { waitUntil } from '../wait-until.ts';
import { ContainerEngine } from './container-engine.ts';
import type { ContainerEngineOptions } from './container-engine.ts';
import { containerHandleOf, shortId } from './container-handle.ts';
import type { ContainerHandle } from './container-handle.ts';
import { readContainerLogs } from './container-logs.ts';
import { describeContainer, PUBLISH_HOST } from './container-plan.ts';
import { instanceStatusOf, isRunning, stopSignalOf } from './container-state.ts';
import { imageMissingMessage, imageStep } from './image-policy.ts';
import { keepFinalState, keptPaths, readKeptExit } from './kept-files.ts';
import type { KeptPaths } from './kept-files.ts';
import { instanceFilter, LABEL, secretValuesOf } from './labels.ts';

export const CONTAINER_RUNTIME_TYPE = 'container';
/** How often `stop` looks whether the container has exited. */
const EXIT_POLL_MS = 50;
/** Log lines kept under the state directory when a container is removed. */
export const KEPT_LOG_LINES = 1000;

export interface ContainerRuntimeOptions extends ContainerEngineOptions {
  /** What is kept of removed containers goes under `<stateDir>/logs/`. */
  readonly stateDir: string;
  /** The engine to use; default one found from DOCKER_HOST or the usual sockets. */
  readonly engine?: ContainerEngine;
}

export class ContainerRuntime implements Runtime {
  readonly type = CONTAINER_RUNTIME_TYPE;
  readonly stateDir: string;
  readonly engine: ContainerEngine;

  constructor(options: ContainerRuntimeOptions) {
    this.stateDir = options.stateDir;
    this.engine =
      options.engine ?? new ContainerEngine(options.env === undefined ? {} : { env: options.env });
  }

  async start(request: InstanceRequest): Promise<InstanceRecord> {
    const launch = checkRequest(request);
    const failed = (why: string) =>
      new SwitchyardError(
        'RUNTIME_START_FAILED',
        `Cannot start instance ${request.instanceId} (${launch.image}): ${why}`,
      );
    try {
      await this.#ensureImage(launch);
    } catch (error) {
      throw failed((error as Error).message);
    }
    const hostPort = await findFreePort(PUBLISH_HOST);
    const plan = describeContainer({ request, launch, hostPort });
    let containerId: string;
    try {
      containerId = await this.engine.createContainer(plan);
    } catch (error) {
      throw failed(
        `the engine at ${this.engine.address} refused to create it: ${(error as Error).message}.`,
      );
    }
    try {
      await this.engine.startContainer(containerId);
    } catch (error) {
      // Never leave a container that did not start: nothing would remove it.
      await this.engine.removeContainer(containerId).catch(() => undefined);
      throw failed(
        `the engine could not start it: ${(error as Error).message}. Check runtime.command, runtime.args and runtime.volumes.`,
      );
    }
    const handle: ContainerHandle = {
      containerId,
      containerPort: launch.port,
      image: launch.image,
      stopTimeoutMs: request.stopTimeoutMs,
    };
    return startedRecord(request, {
      runtime: this.type,
      host: PUBLISH_HOST,
      port: hostPort,
      startedAt: new Date().toISOString(),
      handle: { ...handle },
    });
  }

  async inspect(record: InstanceRecord): Promise<InstanceStatus> {
    const handle = containerHandleOf(record);
    const info = await this.#inspectOwn(record, handle);
    if (info !== undefined) return instanceStatusOf(info.State);
    const kept = readKeptExit(this.#paths(record), handle.containerId);
    return kept === undefined
      ? { state: 'gone' }
      : { state: 'exited', exitCode: kept.exitCode, signal: null };
  }

  async stop(record: InstanceRecord, options: { timeoutMs?: number } = {}): Promise<StopResult> {
    const handle = containerHandleOf(record);
    const info = await this.#inspectOwn(record, handle);
    if (info === undefined) {
      const kept = readKeptExit(this.#paths(record), handle.containerId);
      return { exitCode: kept?.exitCode ?? null, signal: null, killed: false };
    }
    let killed = false;
    if (isRunning(info.State)) {
      // What `docker stop` does, in steps, so the result knows whether the
      // kill was needed and the timeout counts in milliseconds.
      const { containerId } = handle;
      const configured = (info.Config as { StopSignal?: string | number }).StopSignal;
      await this.engine.signalContainer(containerId, stopSignalOf(configured));
      const timeoutMs = options.timeoutMs ?? handle.stopTimeoutMs;
      if (!(await this.#waitForExit(containerId, timeoutMs))) {
        await this.engine.signalContainer(containerId, 'SIGKILL');
        killed = true;
        await this.#waitForExit(containerId, Number.POSITIVE_INFINITY);
      }
    }
    const exitCode = await this.#keepAndRemove(record, handle);
    return { exitCode, signal: null, killed };
  }

  logs(record: InstanceRecord, options: LogOptions = {}): AsyncIterable<string> {
    const handle = containerHandleOf(record);
    return this.#logs(record, handle, options);
  }

  async stopUnrecorded(instanceId: string): Promise<string[]> {
    const found = await this.engine.listContainers(instanceFilter(instanceId).label);
    const ended: string[] = [];
    for (const container of found) {
      // The filter matched the label; check it again rather than trust every engine's filter.
      if (container.labels[LABEL.instance] !== instanceId) continue;
      // It never took traffic, so there is nothing to drain: kill, then remove.
      await this.engine.signalContainer(container.id, 'SIGKILL');
      await this.engine.removeContainer(container.id);
      ended.push(`container ${shortId(container.id)}`);
    }
    return ended;
  }

  async *#logs(
    record: InstanceRecord,
    handle: ContainerHandle,
    options: LogOptions,
  ): AsyncGenerator<string> {
    const info = await this.#inspectOwn(record, handle);
    if (info !== undefined) {
      yield* readContainerLogs(this.engine, handle.containerId, options, secretValuesOf(info));
      return;
    }
    // Removed by stop: what was kept. It will not grow, so there is nothing to follow.
    const paths = this.#paths(record);
    if (readKeptExit(paths, handle.containerId) === undefined) return;
    yield* readLogLines(paths.logPath, {
      ...(options.tail !== undefined && { tail: options.tail }),
    });
  }

  async #ensureImage(launch: ContainerLaunch): Promise<void> {
    const present = await this.engine.imageExists(launch.image);
    const step = imageStep(launch.pull, present);
    if (step === 'missing') throw new Error(imageMissingMessage(launch.image));
    if (step === 'pull') {
      try {
        await this.engine.pullImage(launch.image);
      } catch (error) {
        throw new Error(
          `pulling image ${launch.image} failed: ${(error as Error).message}. Check the name and that the engine can reach its registry (log in for a private one), or build the image on this engine and set runtime.pull: never.`,
          { cause: error },
        );
      }
    }
  }

  /** The container the record names, only if it exists and its labels name the same instance. */
  async #inspectOwn(record: InstanceRecord, handle: ContainerHandle) {
    const info = await this.engine.inspectContainer(handle.containerId);
    if (info === undefined) return undefined;
    return info.Config.Labels?.[LABEL.instance] === record.instanceId ? info : undefined;
  }

  #waitForExit(containerId: string, timeoutMs: number): Promise<boolean> {
    const exited = async () => {
      const info = await this.engine.inspectContainer(containerId);
      return info === undefined || !isRunning(info.State);
    };
    return waitUntil(exited, { timeoutMs, everyMs: EXIT_POLL_MS });
  }

  /** Keeps the exit code and last lines of an ended container, then removes it. */
  async #keepAndRemove(record: InstanceRecord, handle: ContainerHandle): Promise<number | null> {
    const { containerId } = handle;
    const info = await this.engine.inspectContainer(containerId);
    const status = info === undefined ? undefined : instanceStatusOf(info.State);
    const exitCode = status?.exitCode ?? null;
    const secrets = info === undefined ? [] : secretValuesOf(info);
    const lines: string[] = [];
    for await (const line of readContainerLogs(
      this.engine,
      containerId,
      { tail: KEPT_LOG_LINES },
      secrets,
    )) {
      lines.push(line);
    }
    keepFinalState(
      this.#paths(record),
      { containerId, exitCode, exitedAt: new Date().toISOString() },
      lines,
    );
    await this.engine.removeContainer(containerId);
    return exitCode;
  }

  #paths(record: InstanceRecord): KeptPaths {
    return keptPaths({ stateDir: this.stateDir, ...record });
  }
}

function checkRequest(request: InstanceRequest): ContainerLaunch {
  if (request.container === undefined) {
    throw new SwitchyardError(
      'RUNTIME_START_FAILED',
      `Cannot start instance ${request.instanceId} with the container runtime: the request names no image. Set runtime.image in switchyard.yaml.`,
    );
  }
  checkSafeNames(request, 'a container name and a file path');
  return request.container;
}
