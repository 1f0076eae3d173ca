/**
 * Read-only views for `status` and `history`, built from the store (and the
 * router's health and the runtime's view of each instance when at hand).
 */
import { describeStrategy } from '../rollout/strategies.ts';
import { livePool } from '../rollout/topology.ts';
import type { InstanceState, InstanceStatus, Runtime } from '../runtime/runtime.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { Revision, Rollout, ServiceEnv, StateStore } from '../state/store.ts';
import type {
  AnalysisRunView,
  HistoryEntry,
  PoolView,
  RolloutView,
  ServiceStatus,
} from './control-plane.ts';
import { isPlanned } from './planned-instance.ts';
import { keyOf, rolloutData, routerServiceName, serviceTopology } from './rollout-data.ts';
import { routingSpec } from './router-config.ts';
import { healthKey } from './router-sync.ts';

export function rolloutView(store: StateStore, rollout: Rollout, now: Date): RolloutView {
  const revision = store.getRevision(rollout.revisionId) as Revision;
  const state = rolloutData(rollout).strategy;
  return {
    ...rollout,
    revision: revision.number,
    version: revision.version,
    stepDescription:
      state === undefined
        ? rollout.status === 'pending'
          ? 'pending'
          : rollout.message
        : describeStrategy(state, revision.spec as ResolvedSpec, now.getTime()),
    analysis: analysisViews(rollout),
  };
}

/** The rollout's analysis runs, with the latest measurement of each metric. */
export function analysisViews(rollout: Rollout): AnalysisRunView[] {
  return Object.entries(rolloutData(rollout).analysis ?? {}).flatMap(([run, record]) =>
    Object.entries(record.runs).map(([template, { state }]) => ({
      run,
      template,
      pool: record.pool,
      stablePool: record.stablePool,
      verdict: state.verdict,
      message: state.message,
      metrics: state.metrics.map((metric) => ({
        metric: metric.metric,
        measurements: metric.measurements,
        phase: metric.last?.phase ?? null,
        value: metric.last?.value ?? null,
        message: metric.last?.message ?? null,
      })),
    })),
  );
}

export function serviceStatus(options: {
  store: StateStore;
  key: ServiceEnv;
  healthy: ReadonlySet<string>;
  /** What the runtime says of each instance, by instanceId; a missing one reads 'running'. */
  states?: ReadonlyMap<string, InstanceState>;
  now: Date;
}): ServiceStatus {
  const { store, healthy, now } = options;
  const key = keyOf(options.key);
  const { topology } = serviceTopology(store, key);
  const live = livePool(topology);
  const instances = store.listInstances(key);
  const names = new Set([
    ...topology.pools.map((p) => p.name),
    ...instances.map((i) => i.record.pool),
  ]);
  const pools: PoolView[] = [...names].sort().map((name) => {
    const plan = topology.pools.find((p) => p.name === name);
    const mine = instances.filter((i) => i.record.pool === name);
    const first = mine[0]?.record;
    return {
      name,
      revision: plan?.revision ?? first?.revision ?? 0,
      version: plan?.version ?? first?.version ?? '',
      weight: topology.weights.find((w) => w.pool === name)?.weight ?? 0,
      instances: mine.map(({ record, desired }) => {
        const planned = isPlanned(record);
        // A planned instance is being started: running as far as status goes.
        const state: InstanceState = options.states?.get(record.instanceId) ?? 'running';
        return {
          instanceId: record.instanceId,
          pool: record.pool,
          revision: record.revision,
          version: record.version,
          host: record.host,
          port: record.port,
          state,
          healthy:
            desired &&
            !planned &&
            state === 'running' &&
            healthy.has(healthKey(routerServiceName(key), record.instanceId)),
          startedAt: record.startedAt,
        };
      }),
    };
  });
  const newest = store.listRollouts(key, { limit: 1 })[0];
  const spec = routingSpec(store, topology) ?? newestSpec(store, key);
  return {
    ...key,
    stable: live ? { revision: live.revision, version: live.version } : null,
    pools,
    rollout: newest === undefined ? null : rolloutView(store, newest, now),
    router: {
      listen: spec?.router.listen ?? 0,
      ...(spec?.router.preview !== undefined && { preview: spec.router.preview }),
    },
    lock: store.getLock(key) ?? null,
  };
}

/**
 * The real state of each started instance of the service, from its runtime's
 * `inspect` (a process runtime reads /proc, a container runtime asks its
 * engine). One that cannot be inspected is left out (status reads it as running).
 */
export async function instanceStates(
  store: StateStore,
  key: ServiceEnv,
  runtimeFor: (type: string) => Runtime,
): Promise<Map<string, InstanceState>> {
  const states = new Map<string, InstanceState>();
  await Promise.all(
    store
      .listInstances(keyOf(key))
      .filter(({ record }) => !isPlanned(record))
      .map(async ({ record }) => {
        let status: InstanceStatus;
        try {
          status = await runtimeFor(record.runtime).inspect(record);
        } catch {
          return;
        }
        states.set(record.instanceId, status.state);
      }),
  );
  return states;
}

export function history(
  store: StateStore,
  key: ServiceEnv,
  options: { limit?: number },
): HistoryEntry[] {
  const rollouts = store.listRollouts(keyOf(key));
  return store.listRevisions(keyOf(key), options).map((revision) => {
    const rollout = rollouts.find((r) => r.revisionId === revision.id) ?? null;
    const durationMs =
      rollout?.finishedAt != null
        ? Date.parse(rollout.finishedAt) - Date.parse(rollout.createdAt)
        : null;
    return {
      revision,
      rollout,
      analysis:
        rollout === null
          ? []
          : analysisViews(rollout).map((view) => ({
              template: view.template,
              verdict: view.verdict,
              message: view.message,
            })),
      outcome: rollout === null ? 'not deployed' : rollout.status,
      durationMs,
    };
  });
}

function newestSpec(store: StateStore, key: ServiceEnv): ResolvedSpec | undefined {
  return store.listRevisions(keyOf(key), { limit: 1 })[0]?.spec as ResolvedSpec | undefined;
}
