/**
 * What the engine's `GET /containers/{id}/json` says, read as Switchyard's
 * instance states. Docker and Podman differ in small ways (Podman gives the
 * stop signal as a number), handled here.
 */
import { constants } from 'node:os';
import type { InstanceStatus } from '../runtime.ts';

/** The parts of the engine's container state this runtime reads. */
export interface EngineState {
  readonly Status?: string;
  readonly Running?: boolean;
  readonly Paused?: boolean;
  readonly Restarting?: boolean;
  readonly ExitCode?: number;
}

/**
 * running: the container's process runs (also paused or restarting: it
 * exists and is not finished). A container that was created but never
 * started has no exit code.
 */
export function instanceStatusOf(state: EngineState): InstanceStatus {
  if (state.Running === true || state.Paused === true || state.Restarting === true) {
    return { state: 'running' };
  }
  if (state.Status === 'created') return { state: 'exited', exitCode: null, signal: null };
  return { state: 'exited', exitCode: state.ExitCode ?? null, signal: null };
}

export function isRunning(state: EngineState): boolean {
  return instanceStatusOf(state).state === 'running';
}

/**
 * The signal that asks the container to stop: the image's STOPSIGNAL (nginx
 * uses SIGQUIT), else SIGTERM. Docker gives a name (`SIGQUIT`, sometimes
 * `QUIT`), Podman a number (3).
 */
export function stopSignalOf(stopSignal: string | number | undefined | null): string {
  if (typeof stopSignal === 'number') {
    const name = Object.entries(constants.signals).find(([, number]) => number === stopSignal)?.[0];
    return name ?? 'SIGTERM';
  }
  if (typeof stopSignal !== 'string' || stopSignal === '') return 'SIGTERM';
  if (/^[0-9]+$/.test(stopSignal)) return stopSignalOf(Number(stopSignal));
  return stopSignal.startsWith('SIG') ? stopSignal : `SIG${stopSignal}`;
}
