/**
 * What a strategy asks for (STYLE.md §2: plans are data, executors run
 * them). Pool and routing actions change the service's Topology and are
 * persisted before the controller acts on them; the controller then makes
 * instances and the router match, as often as it takes (they are idempotent).
 */
import type { PoolWeight, RolloutStatus } from '../state/store.ts';
import type { Reason } from './reasons.ts';

export const HOOK_NAMES = [
  'preDeploy',
  'postDeploy',
  'prePromote',
  'postPromote',
  'postRollback',
] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export type Action =
  /** The pool should run `replicas` instances of the revision (started if missing). */
  | {
      readonly type: 'startPool';
      readonly pool: string;
      readonly revision: number;
      readonly revisionId: number;
      readonly version: string;
      readonly replicas: number;
    }
  /** One router update: these pools with these weights, and the preview pool. */
  | {
      readonly type: 'setRouting';
      readonly weights: readonly PoolWeight[];
      readonly previewPool: string | null;
    }
  /** Out of the router, drained, then stopped. */
  | { readonly type: 'removePool'; readonly pool: string }
  /** Run the hook unless it already ran for this rollout; its result comes back as an observation. */
  | { readonly type: 'runHook'; readonly hook: HookName }
  | {
      readonly type: 'markStatus';
      readonly status: RolloutStatus;
      readonly reason: Reason;
      readonly message: string;
    }
  /**
   * Start an analysis run (one AnalysisRun per template) judging `pool`
   * against `stablePool`; its verdict comes back as an observation under
   * `run`. Idempotent: a run already started under that name is left alone.
   */
  | {
      readonly type: 'startAnalysis';
      readonly run: string;
      readonly templates: readonly string[];
      readonly pool: string;
      readonly stablePool: string | null;
      /** Background runs ignore `count` and measure until stopped. */
      readonly background: boolean;
    }
  /** Stop measuring; the verdict so far stays in the store. */
  | { readonly type: 'stopAnalysis'; readonly run: string }
  /** Nothing to do until `until` (epoch ms), or until something is observed when null. */
  | { readonly type: 'wait'; readonly until: number | null; readonly for: string };
