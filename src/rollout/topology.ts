/**
 * What a service should look like: which pools run how many instances of
 * which revision, and how the router splits traffic between them. The
 * controller keeps one Topology per service in the store (on its newest
 * rollout) and makes the world match it; strategies change it only through
 * actions, folded in here by a pure function, so a restarted controller
 * rebuilds exactly the same router config from the store.
 */
import type { PoolWeight } from '../state/store.ts';
import type { Action } from './actions.ts';

export interface PoolPlan {
  /** "blue" or "green" for blue/green. */
  readonly name: string;
  /** The revision number (per service+environment) its instances run. */
  readonly revision: number;
  readonly revisionId: number;
  readonly version: string;
  readonly replicas: number;
}

export interface Topology {
  /** Pools that should have instances; any other instance is drained and stopped. */
  readonly pools: readonly PoolPlan[];
  /** Pools the router knows, with their weight (0 = health-checked, no new traffic). */
  readonly weights: readonly PoolWeight[];
  /** The pool the preview listener reaches, if any. */
  readonly previewPool: string | null;
}

export const EMPTY_TOPOLOGY: Topology = { pools: [], weights: [], previewPool: null };

/** The topology after `actions`; actions that do not change the topology are skipped. */
export function applyActions(topology: Topology, actions: readonly Action[]): Topology {
  let next = topology;
  for (const action of actions) {
    switch (action.type) {
      case 'startPool': {
        const plan: PoolPlan = {
          name: action.pool,
          revision: action.revision,
          revisionId: action.revisionId,
          version: action.version,
          replicas: action.replicas,
        };
        const others = next.pools.filter((pool) => pool.name !== action.pool);
        next = { ...next, pools: [...others, plan] };
        break;
      }
      case 'setRouting':
        next = { ...next, weights: [...action.weights], previewPool: action.previewPool };
        break;
      case 'removePool':
        next = {
          pools: next.pools.filter((pool) => pool.name !== action.pool),
          weights: next.weights.filter((weight) => weight.pool !== action.pool),
          previewPool: next.previewPool === action.pool ? null : next.previewPool,
        };
        break;
      default:
        break;
    }
  }
  return next;
}

/** The pool taking the most traffic (the first on a tie), or undefined when none takes any. */
export function livePool(topology: Topology): PoolPlan | undefined {
  let best: PoolWeight | undefined;
  for (const weight of topology.weights) {
    if (weight.weight > 0 && (best === undefined || weight.weight > best.weight)) best = weight;
  }
  return best && topology.pools.find((pool) => pool.name === best.pool);
}
