/**
 * The controller (DESIGN.md): the control plane's calls write intents to the
 * store (ControllerCommands), and a reconcile loop acts on them (Reconciler),
 * persisting every transition before acting. Everything it needs is in the
 * store, so a controller killed at any moment and started again resumes.
 *
 *   const controller = new Controller({ store, stateDir, router, runtimeFor, holderId });
 *   await controller.start();   // recover instances, re-apply the router config, resume rollouts
 *   await controller.stop();    // stop the loop; instances and the router keep running
 */
import { reconcileInstances } from '../runtime/reconcile.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Clock } from '../state/clock.ts';
import type { StateStore } from '../state/store.ts';
import { Reason } from '../rollout/reasons.ts';
import type { ControllerLifecycle } from './control-plane.ts';
import { AnalysisRunner } from './analysis-runner.ts';
import { ControllerCommands } from './controller-commands.ts';
import { HookRunner } from './hook-runner.ts';
import { InstanceManager } from './instance-manager.ts';
import { LockKeeper } from './lock-keeper.ts';
import { silentLogger } from './logger.ts';
import type { Logger } from './logger.ts';
import { isPlanned } from './planned-instance.ts';
import { Reconciler } from './reconciler.ts';
import { buildRouterServices } from './router-config.ts';
import { RouterSync } from './router-sync.ts';
import type { RouterAdmin } from './router-sync.ts';
import { keyOf } from './rollout-data.ts';

export const DEFAULT_TICK_MS = 200;

export interface ControllerOptions {
  readonly store: StateStore;
  /** The state directory: hook logs go under `<stateDir>/logs/`. */
  readonly stateDir: string;
  /** The router's admin API (a RouterAdminClient). */
  readonly router: RouterAdmin;
  /** The runtime driver for a spec's `runtime.type` (and a record's `runtime`). */
  readonly runtimeFor: (type: string) => Runtime;
  /** Drives strategy timers (autoPromote, scaleDownDelay, startupTimeout). Default: the system clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Holds the deploy lock of every rollout this controller runs; keep it stable across restarts. */
  readonly holderId: string;
  /** Time between two passes of the loop. Default 200 ms. */
  readonly tickMs?: number;
  /** How often the loop inspects its instances to replace dead ones (by `clock`). Default 1 s. */
  readonly inspectEveryMs?: number;
  readonly lockLeaseMs?: number;
  readonly hookTimeoutMs?: number;
}

export class Controller extends ControllerCommands implements ControllerLifecycle {
  readonly #store: StateStore;
  readonly #runtimeFor: (type: string) => Runtime;
  readonly #logger: Logger;
  readonly #tickMs: number;
  readonly #routerSync: RouterSync;
  readonly #instances: InstanceManager;
  readonly #hooks: HookRunner;
  readonly #locks: LockKeeper;
  readonly #reconciler: Reconciler;
  readonly #analysis: AnalysisRunner;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #running = false;
  #failures = 0;

  constructor(options: ControllerOptions) {
    const now = options.clock ?? (() => new Date());
    super({
      store: options.store,
      holderId: options.holderId,
      runtimeFor: options.runtimeFor,
      router: options.router,
      clock: now,
      ...(options.lockLeaseMs !== undefined && { lockLeaseMs: options.lockLeaseMs }),
    });
    this.#store = options.store;
    this.#runtimeFor = options.runtimeFor;
    this.#logger = options.logger ?? silentLogger;
    this.#tickMs = options.tickMs ?? DEFAULT_TICK_MS;
    this.#routerSync = new RouterSync({ client: options.router });
    this.#instances = new InstanceManager({
      store: options.store,
      router: options.router,
      runtimeFor: options.runtimeFor,
      logger: this.#logger,
      now,
    });
    this.#hooks = new HookRunner({
      store: options.store,
      stateDir: options.stateDir,
      ...(options.hookTimeoutMs !== undefined && { timeoutMs: options.hookTimeoutMs }),
    });
    this.#locks = new LockKeeper({
      store: options.store,
      holder: options.holderId,
      logger: this.#logger,
      ...(options.lockLeaseMs !== undefined && { leaseMs: options.lockLeaseMs }),
    });
    this.#analysis = new AnalysisRunner({
      store: options.store,
      window: options.router,
      now,
      logger: this.#logger,
    });
    this.#reconciler = new Reconciler({
      analysis: this.#analysis,
      store: options.store,
      router: options.router,
      routerSync: this.#routerSync,
      instances: this.#instances,
      hooks: this.#hooks,
      locks: this.#locks,
      now,
      logger: this.#logger,
      ...(options.inspectEveryMs !== undefined && { inspectEveryMs: options.inspectEveryMs }),
    });
  }

  /**
   * Recovers from whatever the last controller left, in an order that loses
   * no request: instances whose start was cut short are stopped (they never
   * took traffic); the router gets the config the store describes; unwanted
   * instances are drained before they are stopped; ended ones are forgotten.
   * Then the loop resumes every rollout from its persisted step.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    await this.#routerSync.init();
    await this.#stopUnrecorded();
    await this.#routerSync.apply(buildRouterServices(this.#store));
    for (const key of this.#store.listServices()) this.#instances.retireUnwanted(key);
    await this.#instances.settled();
    const types = new Set(this.#store.listInstances().map((i) => i.record.runtime));
    for (const type of types) {
      const summary = await reconcileInstances({
        runtime: this.#runtimeFor(type),
        store: this.#store,
      });
      for (const { record } of summary.ended) {
        this.#logger.warn(
          { instanceId: record.instanceId },
          'An instance ended while the controller was away.',
        );
      }
    }
    this.#locks.releaseStale();
    this.#running = true;
    this.#schedule();
    this.#logger.info({ generation: this.#routerSync.generation }, 'Controller started.');
  }

  /** Stops the loop after the pass in flight; instances and the router keep running. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#current;
    await this.#hooks.stop();
    await this.#analysis.stop();
    await this.#instances.settled();
  }

  /** One pass of the loop, for tests that step it by hand (before `start`, or instead of it). */
  async reconcileOnce(): Promise<void> {
    await this.#reconciler.pass();
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#current = this.#pass().finally(() => {
        this.#current = undefined;
        this.#schedule();
      });
    }, this.#tickMs);
  }

  async #pass(): Promise<void> {
    try {
      await this.#reconciler.pass();
      this.#failures = 0;
    } catch (error) {
      // The router may be restarting, or the disk full: log once per streak, keep trying.
      if (this.#failures === 0)
        this.#logger.error({ err: error }, 'A reconcile pass failed; retrying.');
      this.#failures += 1;
    }
  }

  /**
   * Planned records are instances whose start a crash cut short: the runtime
   * finds what each left by its instance id (a process by its environment, a
   * container by its label) and ends it.
   */
  async #stopUnrecorded(): Promise<void> {
    for (const { record } of this.#store.listInstances()) {
      if (!isPlanned(record)) continue;
      let ended: string[];
      try {
        ended = await this.#runtimeFor(record.runtime).stopUnrecorded(record.instanceId);
      } catch (error) {
        // Its engine may be down: keep the planned record, so the next start looks again.
        this.#logger.error(
          { err: error, instanceId: record.instanceId },
          'Could not look for what a cut-short start left; will look again at the next start.',
        );
        continue;
      }
      this.#store.removeInstance(record.instanceId);
      if (ended.length > 0) {
        this.#store.appendEvent({
          ...keyOf(record),
          type: 'instance.orphanStopped',
          reason: Reason.OrphanStopped,
          message: `Stopped instance ${record.instanceId}, whose start was cut short by a controller restart (${ended.join(', ')}); it never took traffic.`,
          data: { instanceId: record.instanceId, ended },
        });
      }
    }
  }
}
