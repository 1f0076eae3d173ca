/**
 * What the control API (src/server/) asks of the controller: one method per
 * CLI verb. The server validates HTTP input and maps these calls one-to-one;
 * the controller owns state, locks, strategies, runtimes and the router.
 * Errors are SwitchyardErrors whose exitCode the API maps to HTTP status
 * (2 → 400, 3 → 409, 1 → 422, not found → 404) and the CLI to its exit code.
 */
import type { ResolvedSpec } from '../spec/index.ts';
import type {
  LockInfo,
  PoolWeight,
  Revision,
  Rollout,
  ServiceEnv,
  StoredEvent,
} from '../state/store.ts';
import type { InstanceState } from '../runtime/runtime.ts';

export interface DeployRequest extends ServiceEnv {
  readonly version: string;
  /** The resolved spec (`deploy` reads and resolves the file on the client side). */
  readonly spec: ResolvedSpec;
  /** Who asked, e.g. "alice@laptop"; stored with the revision and the lock. */
  readonly requestedBy: string;
}

export interface InstanceView {
  readonly instanceId: string;
  readonly pool: string;
  readonly revision: number;
  readonly version: string;
  readonly host: string;
  readonly port: number;
  readonly state: InstanceState;
  readonly healthy: boolean;
  readonly startedAt: string;
}

export interface PoolView {
  readonly name: string;
  readonly revision: number;
  readonly version: string;
  readonly weight: number;
  readonly instances: readonly InstanceView[];
}

export interface ServiceStatus extends ServiceEnv {
  /** The revision taking traffic when no rollout is in flight. */
  readonly stable: { readonly revision: number; readonly version: string } | null;
  readonly pools: readonly PoolView[];
  /** The rollout in flight, or the last one. */
  readonly rollout: RolloutView | null;
  readonly router: { readonly listen: number; readonly preview?: number };
  readonly lock: LockInfo | null;
}

export interface RolloutView extends Rollout {
  readonly revision: number;
  readonly version: string;
  /** Human-readable current step, e.g. "waiting for promote (autoPromote in 25s)". */
  readonly stepDescription: string;
  /** The rollout's analysis runs (one per template of each analysis the strategy started). */
  readonly analysis: readonly AnalysisRunView[];
}

export interface AnalysisRunView {
  /** The strategy's name for the run: `background`, or `step-<index>`. */
  readonly run: string;
  readonly template: string;
  readonly pool: string;
  readonly stablePool: string | null;
  readonly verdict: 'running' | 'successful' | 'failed' | 'inconclusive';
  readonly message: string;
  /** The latest measurement of each metric, in the template's order. */
  readonly metrics: readonly {
    readonly metric: string;
    readonly measurements: number;
    readonly phase: string | null;
    readonly value: number | null;
    readonly message: string | null;
  }[];
}

export interface HistoryEntry {
  readonly revision: Revision;
  readonly rollout: Rollout | null;
  /** Each analysis run's verdict, e.g. "errors: failed". */
  readonly analysis: readonly {
    readonly template: string;
    readonly verdict: string;
    readonly message: string;
  }[];
  readonly outcome: string;
  readonly durationMs: number | null;
}

export interface CleanupPlan {
  readonly pools: readonly {
    readonly name: string;
    readonly revision: number;
    readonly instances: readonly string[];
  }[];
}

/** `logs`: one instance or all of the service, the last `tail` lines, then new ones with `follow`. */
export interface InstanceLogsOptions {
  readonly instanceId?: string;
  readonly tail?: number;
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
}

/** A line of an instance's log, tagged with the instance. */
export interface InstanceLogLine {
  readonly instanceId: string;
  readonly line: string;
}

export interface ServiceSummary extends ServiceEnv {
  readonly version: string | null;
  readonly rolloutStatus: Rollout['status'] | null;
}

export interface ControlPlane {
  services(): Promise<ServiceSummary[]>;
  deploy(request: DeployRequest): Promise<RolloutView>;
  status(key: ServiceEnv): Promise<ServiceStatus>;
  promote(key: ServiceEnv, options: { readonly full: boolean }): Promise<RolloutView>;
  pause(key: ServiceEnv): Promise<RolloutView>;
  resume(key: ServiceEnv): Promise<RolloutView>;
  abort(key: ServiceEnv): Promise<RolloutView>;
  rollback(
    key: ServiceEnv,
    options: { readonly toRevision?: number; readonly requestedBy: string },
  ): Promise<RolloutView>;
  /** Set the split by hand, e.g. [{pool:'blue',weight:90},{pool:'green',weight:10}]. */
  traffic(key: ServiceEnv, weights: readonly PoolWeight[]): Promise<ServiceStatus>;
  scale(key: ServiceEnv, replicas: number): Promise<ServiceStatus>;
  history(key: ServiceEnv, options: { readonly limit?: number }): Promise<HistoryEntry[]>;
  logs(key: ServiceEnv, options: InstanceLogsOptions): AsyncIterable<InstanceLogLine>;
  /** Without `apply`, only says what would be removed. */
  cleanup(key: ServiceEnv, options: { readonly apply: boolean }): Promise<CleanupPlan>;
  lockStatus(key: ServiceEnv): Promise<LockInfo | null>;
  lockRelease(
    key: ServiceEnv,
    options: { readonly force: boolean; readonly requestedBy: string },
  ): Promise<LockInfo | null>;
  /** Events after `afterId`, then new ones as they happen, until the signal aborts. */
  events(
    filter: Partial<ServiceEnv> & { readonly afterId?: number; readonly signal: AbortSignal },
  ): AsyncIterable<StoredEvent>;
}

/**
 * How the daemon builds the controller (src/controller/controller.ts):
 *
 *   const controller = new Controller({ store, stateDir, router, runtimeFor, clock, logger, holderId });
 *   await controller.start();   // reconcile instances, resume rollouts in flight
 *   ...                          // serve ControlPlane calls
 *   await controller.stop();     // stop the loop; instances and the router keep running
 */
export interface ControllerLifecycle extends ControlPlane {
  start(): Promise<void>;
  stop(): Promise<void>;
}
