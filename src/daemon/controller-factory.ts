/**
 * Builds the controller the daemon serves (src/controller/controller.ts)
 * with the constructor documented in control-plane.ts. A factory, so the
 * daemon's tests can serve a ControlPlane double instead.
 */
import type { Logger } from 'pino';
import type { ControllerLifecycle } from '../controller/control-plane.ts';
import { Controller } from '../controller/controller.ts';
import type { RouterAdminClient } from '../router/admin/client.ts';
import { createRuntime, type RuntimeType } from '../runtime/create-runtime.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { StateStore } from '../state/store.ts';

export interface ControllerDependencies {
  readonly store: StateStore;
  readonly stateDir: string;
  readonly router: RouterAdminClient;
  readonly logger: Logger;
  /**
   * Names this daemon in the deploy locks it holds. Stable across restarts
   * (host and state directory, no pid), so a restarted daemon resumes a
   * rollout under the lock it already holds.
   */
  readonly holderId: string;
}

export type ControllerFactory = (
  dependencies: ControllerDependencies,
) => Promise<ControllerLifecycle>;

/** One runtime per type, created on first use. */
export function runtimeCache(stateDir: string): (type: string) => Runtime {
  const runtimes = new Map<string, Runtime>();
  return (type) => {
    let runtime = runtimes.get(type);
    if (!runtime) {
      runtime = createRuntime({ type: type as RuntimeType, stateDir });
      runtimes.set(type, runtime);
    }
    return runtime;
  };
}

export const createController: ControllerFactory = async (dependencies) =>
  new Controller({ ...dependencies, runtimeFor: runtimeCache(dependencies.stateDir) });
