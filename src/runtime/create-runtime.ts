/**
 * The one place a runtime driver is chosen (STYLE.md §3): local processes
 * and containers (Docker Engine API) so far; the others come with their own issues.
 */
import { SwitchyardError } from '../errors.ts';
import { ContainerRuntime } from './container/container-runtime.ts';
import { ProcessRuntime } from './process/process-runtime.ts';
import type { Runtime } from './runtime.ts';

export type RuntimeType = 'process' | 'container' | 'ssh' | 'kubernetes';

export interface CreateRuntimeOptions {
  readonly type: RuntimeType;
  /** The daemon's state directory (`.switchyard/`): logs go under `<stateDir>/logs/`. */
  readonly stateDir: string;
  /** process: address instances listen on and are reached at. Default 127.0.0.1. */
  readonly host?: string;
  /** process: size at which an instance log is rotated. Default 10 MiB. */
  readonly logMaxBytes?: number;
}

export function createRuntime(options: CreateRuntimeOptions): Runtime {
  switch (options.type) {
    case 'process':
      return new ProcessRuntime(options);
    case 'container':
      // The engine is found on first use (DOCKER_HOST, then the usual sockets),
      // so a daemon without one still starts and serves process services.
      return new ContainerRuntime({ stateDir: options.stateDir });
    case 'ssh':
    case 'kubernetes':
      throw new SwitchyardError(
        'RUNTIME_NOT_SUPPORTED',
        `The ${options.type} runtime is not supported yet; "process" and "container" are. Use runtime: { type: process, command: ... } or { type: container, image: ... } in switchyard.yaml for now.`,
      );
  }
}
