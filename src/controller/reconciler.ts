/**
 * One pass of the control loop. For every service it
 *   0. every `inspectEveryMs` (by the injected clock), inspects its wanted
 *      instances and forgets those that died on their own, so they leave the
 *      router config and are replaced (InstanceManager.replaceExited);
 *   1. advances the rollout in flight: asks the strategy for the next step
 *      and PERSISTS it (state, topology, status, event) before anything acts;
 *   2. makes instances match the persisted topology (starts are recorded first);
 * then sends the global router config built from the store, and only then
 * retires instances the config no longer routes to (drain, stop). Because
 * every pass starts from the store, a pass after a crash finishes what the
 * last one left half done.
 */
import { runStrategy } from '../rollout/strategies.ts';
import { applyActions } from '../rollout/topology.ts';
import type { InstanceObservation } from '../rollout/strategy.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { Revision, Rollout, ServiceEnv, StateStore } from '../state/store.ts';
import { isFinal } from '../state/sqlite/rollout-table.ts';
import { analysisObservations, applyAnalysisActions } from './analysis-records.ts';
import type { AnalysisRunner } from './analysis-runner.ts';
import { pendingCommands } from './commands-log.ts';
import type { HookRunner } from './hook-runner.ts';
import type { InstanceManager } from './instance-manager.ts';
import type { LockKeeper } from './lock-keeper.ts';
import type { Logger } from './logger.ts';
import { buildRouterServices } from './router-config.ts';
import { keyOf, rolloutData, routerServiceName, serviceTopology } from './rollout-data.ts';
import { healthKey, healthyInstances } from './router-sync.ts';
import { withStartupEvidence } from './startup-evidence.ts';
import type { RouterAdmin, RouterSync } from './router-sync.ts';

export const ROLLOUT_STEP_EVENT = 'rollout.step';
/** How often the loop inspects the instances it owns. */
export const DEFAULT_INSPECT_EVERY_MS = 1_000;

export interface ReconcilerOptions {
  readonly store: StateStore;
  readonly router: RouterAdmin;
  readonly routerSync: RouterSync;
  readonly instances: InstanceManager;
  readonly hooks: HookRunner;
  readonly analysis: AnalysisRunner;
  readonly locks: LockKeeper;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Default DEFAULT_INSPECT_EVERY_MS. */
  readonly inspectEveryMs?: number;
}

export class Reconciler {
  readonly #o: ReconcilerOptions;
  #lastInspect: number | undefined;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
  }

  async pass(): Promise<void> {
    const { store, router, routerSync, instances } = this.#o;
    const inspect = this.#inspectDue();
    const health = await healthyInstances(router);
    const keys = store.listServices();
    for (const key of keys) {
      if (inspect) await instances.replaceExited(key);
      const active = store.activeRollout(keyOf(key));
      if (active !== undefined) {
        this.#advance(active, health);
        const saved = store.getRollout(active.id);
        if (saved !== undefined && !isFinal(saved.status)) this.#o.analysis.measureDue(saved);
      }
      await instances.converge(key, serviceTopology(store, key).topology);
    }
    await routerSync.apply(buildRouterServices(store));
    for (const key of keys) instances.retireUnwanted(key);
  }

  /** True once per `inspectEveryMs` of the injected clock (and when it went backwards). */
  #inspectDue(): boolean {
    const now = this.#o.now().getTime();
    const every = this.#o.inspectEveryMs ?? DEFAULT_INSPECT_EVERY_MS;
    const last = this.#lastInspect;
    if (last !== undefined && now >= last && now - last < every) return false;
    this.#lastInspect = now;
    return true;
  }

  /** Runs the strategy once for the rollout and persists the step before acting on it. */
  #advance(rollout: Rollout, health: ReadonlySet<string>): void {
    const { store, hooks, locks, logger } = this.#o;
    if (!locks.hold(rollout)) return;
    const revision = store.getRevision(rollout.revisionId) as Revision;
    const data = rolloutData(rollout);
    const { topology } = serviceTopology(store, rollout);
    const state = data.strategy;
    const step = runStrategy({
      spec: revision.spec as ResolvedSpec,
      target: { revision: revision.number, revisionId: revision.id, version: revision.version },
      state,
      topology,
      observations: {
        instances: observeInstances(store, rollout, health),
        hooks: hooks.results(rollout),
        commands: pendingCommands(store, rollout, state?.lastCommandId ?? 0),
        analysis: analysisObservations(data.analysis ?? {}),
      },
      now: this.#o.now().getTime(),
    });
    const next = applyActions(topology, step.actions);
    const analysis = applyAnalysisActions(
      data.analysis ?? {},
      step.actions,
      revision.spec as ResolvedSpec,
      this.#o.now().getTime(),
    );
    const marked = step.actions.findLast((action) => action.type === 'markStatus');
    const mark = marked && {
      ...marked,
      message: withStartupEvidence(store, rollout, revision.number, marked),
    };
    if (mark !== undefined || step.state !== state || analysis !== data.analysis) {
      const saved = store.updateRollout(
        rollout.id,
        {
          step: step.step,
          weights: next.weights,
          data: { ...data, topology: next, strategy: step.state, analysis },
          ...(mark !== undefined && {
            status: mark.status,
            reason: mark.reason,
            message: mark.message,
          }),
        },
        mark && {
          type: ROLLOUT_STEP_EVENT,
          reason: mark.reason,
          message: mark.message,
          data: { phase: step.state.phase, status: mark.status, weights: next.weights },
        },
      );
      if (isFinal(saved.status)) locks.release(saved);
      logger.info(
        { rollout: rollout.id, phase: step.state.phase, status: saved.status },
        mark?.message ?? 'rollout state saved',
      );
    }
    for (const action of step.actions) {
      if (action.type === 'runHook') hooks.ensure({ rollout, revision, hook: action.hook });
    }
  }
}

function observeInstances(
  store: StateStore,
  key: ServiceEnv,
  health: ReadonlySet<string>,
): InstanceObservation[] {
  const service = routerServiceName(key);
  return store.listInstances(keyOf(key)).map(({ record, desired }) => ({
    pool: record.pool,
    revision: record.revision,
    desired,
    healthy: health.has(healthKey(service, record.instanceId)),
  }));
}
