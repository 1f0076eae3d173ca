/**
 * What the controller keeps in a rollout's opaque `data`: the service's
 * topology after the rollout's last transition and the strategy's own state.
 * The newest rollout that has a topology is the service's desired state, so
 * the router config and the instances can always be rebuilt from the store.
 */
import type { StrategyState } from '../rollout/strategies.ts';
import type { AnalysisRecords } from './analysis-records.ts';
import { EMPTY_TOPOLOGY } from '../rollout/topology.ts';
import type { Topology } from '../rollout/topology.ts';
import type { Rollout, ServiceEnv, StateStore } from '../state/store.ts';

export interface RolloutData {
  readonly topology?: Topology;
  readonly strategy?: StrategyState;
  /** The rollout's analysis runs, by the run name its strategy gave them. */
  readonly analysis?: AnalysisRecords;
}

export function rolloutData(rollout: Rollout): RolloutData {
  return rollout.data as RolloutData;
}

/** The service's desired topology and the rollout it is stored on (undefined before any). */
export function serviceTopology(
  store: Pick<StateStore, 'listRollouts'>,
  key: ServiceEnv,
): { topology: Topology; rollout: Rollout | undefined } {
  // Every pass of the loop asks, so read the whole history only when needed: a
  // rollout just created (pending) has no topology yet and inherits the last
  // one, so the newest two rollouts almost always answer.
  return (
    newestWithTopology(store.listRollouts(key, { limit: 2 })) ??
    newestWithTopology(store.listRollouts(key)) ?? { topology: EMPTY_TOPOLOGY, rollout: undefined }
  );
}

function newestWithTopology(
  rollouts: readonly Rollout[],
): { topology: Topology; rollout: Rollout } | undefined {
  for (const rollout of rollouts) {
    const topology = rolloutData(rollout).topology;
    if (topology !== undefined) return { topology, rollout };
  }
  return undefined;
}

export function keyOf(key: ServiceEnv): ServiceEnv {
  return { service: key.service, environment: key.environment };
}

/** The router's service name (DESIGN.md): `<service>/<environment>`. */
export function routerServiceName(key: ServiceEnv): string {
  return `${key.service}/${key.environment}`;
}
