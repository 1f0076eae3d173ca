/**
 * The one place a runtime driver is chosen (STYLE.md §3). Only local
 * processes exist so far; the others come with their own issues.
 */
import { SwitchyardError } from '../errors.ts';
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
    case 'ssh':
    case 'kubernetes':
      throw new SwitchyardError(
        'RUNTIME_NOT_SUPPORTED',
        `The ${options.type} runtime is not supported yet; only "process" is. Use runtime: { type: process, command: ... } in switchyard.yaml for now.`,
      );
  }
}
