/**
 * The pool, routing and analysis actions the strategies build alike, as
 * plain data (STYLE.md §2).
 */
import type { PoolWeight } from '../state/store.ts';
import type { Action } from './actions.ts';
import type { TargetRevision } from './strategy.ts';

/** The pool should run `replicas` instances of `revision`; on a running pool, a resize. */
export function startPoolAction(pool: string, revision: TargetRevision, replicas: number): Action {
  return {
    type: 'startPool',
    pool,
    revision: revision.revision,
    revisionId: revision.revisionId,
    version: revision.version,
    replicas,
  };
}

/** The pool live when the rollout began, at 100% (none on a first deploy): where a retreat sends traffic. */
export function stableWeights(stable: { readonly pool: string } | null): PoolWeight[] {
  return stable === null ? [] : [{ pool: stable.pool, weight: 100 }];
}

/** One router update giving `pool` all traffic, with the preview listener on it too. */
export function allTrafficTo(pool: string): Action {
  return { type: 'setRouting', weights: [{ pool, weight: 100 }], previewPool: pool };
}

/** An analysis run judging the new pool against the stable one (if any). */
export function startAnalysisAction(
  state: { readonly newPool: string; readonly stable: { readonly pool: string } | null },
  run: {
    readonly name: string;
    readonly templates: readonly string[];
    readonly background: boolean;
  },
): Action {
  return {
    type: 'startAnalysis',
    run: run.name,
    templates: run.templates,
    pool: state.newPool,
    stablePool: state.stable?.pool ?? null,
    background: run.background,
  };
}

/** The new pool at weight 0 beside the stable one: health-checked, no traffic. */
export function besideStable(
  state: { readonly newPool: string; readonly stable: { readonly pool: string } | null },
  previewPool: string | null,
): Action {
  return {
    type: 'setRouting',
    weights: [...stableWeights(state.stable), { pool: state.newPool, weight: 0 }],
    previewPool,
  };
}
