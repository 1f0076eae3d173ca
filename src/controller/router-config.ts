/**
 * The router config is global: every service in one config with one
 * generation. It is derived from the store alone (each service's topology,
 * the spec of its revisions and the instances recorded as started and
 * wanted), so a restarted controller builds exactly the config it sent last.
 */
import { routerService } from '../router/config.ts';
import type { RouterService } from '../router/config.ts';
import { durationMs, effectiveStrategy } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { StateStore, StoredInstance } from '../state/store.ts';
import { livePool } from '../rollout/topology.ts';
import { isPlanned } from './planned-instance.ts';
import { routerServiceName, serviceTopology } from './rollout-data.ts';

export function buildRouterServices(store: StateStore): RouterService[] {
  const services: RouterService[] = [];
  for (const key of store.listServices()) {
    const { topology } = serviceTopology(store, key);
    if (topology.weights.length === 0) continue;
    const spec = routingSpec(store, topology);
    if (spec === undefined) continue;
    const instances = store.listInstances(key).filter(routable);
    const pools = topology.weights.map((weight) => {
      const plan = topology.pools.find((pool) => pool.name === weight.pool);
      return {
        name: weight.pool,
        weight: weight.weight,
        instances: instances
          .filter((i) => i.record.pool === weight.pool && i.record.revision === plan?.revision)
          .map(({ record }) => ({ id: record.instanceId, host: record.host, port: record.port })),
      };
    });
    const previewPool =
      topology.previewPool !== null && pools.some((p) => p.name === topology.previewPool)
        ? topology.previewPool
        : undefined;
    services.push(
      routerService({
        name: routerServiceName(key),
        listen: { port: spec.router.listen },
        ...(spec.router.preview !== undefined && { preview: { port: spec.router.preview } }),
        ...(previewPool !== undefined && { previewPool }),
        pools,
        sticky: stickyFor(store, topology),
        healthCheck: {
          path: spec.healthCheck.path,
          intervalMs: durationMs(spec.healthCheck.interval),
          timeoutMs: durationMs(spec.healthCheck.timeout),
          healthyThreshold: spec.healthCheck.healthyThreshold,
          unhealthyThreshold: spec.healthCheck.unhealthyThreshold,
        },
        drainTimeoutMs: durationMs(spec.router.drainTimeout),
      }),
    );
  }
  return services;
}

/**
 * Listeners and checks come from the spec of the pool taking traffic (a new
 * revision's settings apply once it is live), else from the newest pool.
 */
export function routingSpec(
  store: Pick<StateStore, 'getRevision'>,
  topology: Parameters<typeof livePool>[0],
): ResolvedSpec | undefined {
  const pool = livePool(topology) ?? topology.pools[topology.pools.length - 1];
  if (pool === undefined) return undefined;
  return store.getRevision(pool.revisionId)?.spec as ResolvedSpec | undefined;
}

/**
 * Sticky while the newest pool's revision is a sticky canary (the default):
 * a client keeps its pool as the canary's weight grows, and its cookie stays
 * valid afterwards (a cookie naming no pool just picks again).
 */
function stickyFor(
  store: Pick<StateStore, 'getRevision'>,
  topology: Parameters<typeof livePool>[0],
): boolean {
  const newest = topology.pools[topology.pools.length - 1];
  const spec = newest && (store.getRevision(newest.revisionId)?.spec as ResolvedSpec | undefined);
  if (spec === undefined) return false;
  const strategy = effectiveStrategy(spec.strategy);
  return strategy.kind === 'canary' && strategy.canary.sticky;
}

function routable(instance: StoredInstance): boolean {
  return instance.desired && !isPlanned(instance.record);
}
