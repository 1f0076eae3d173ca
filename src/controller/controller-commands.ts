/**
 * The control plane's half of the controller: it validates a request and
 * writes the intent to the store — a revision and a pending rollout, a
 * command event, a topology change — and nothing else. The reconcile loop
 * (reconciler.ts) acts on what is written. This class needs no running loop,
 * so any process with the store can issue commands to the controller that
 * runs the loop (the crash tests do).
 */
import { SwitchyardError } from '../errors.ts';
import { Reason } from '../rollout/reasons.ts';
import { livePool } from '../rollout/topology.ts';
import type { Topology } from '../rollout/topology.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { effectiveStrategy } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type {
  LockInfo,
  PoolWeight,
  Revision,
  Rollout,
  ServiceEnv,
  StateStore,
  StoredEvent,
} from '../state/store.ts';
import { recordCommand } from './commands-log.ts';
import type {
  CleanupPlan,
  ControlPlane,
  DeployRequest,
  HistoryEntry,
  InstanceLogLine,
  InstanceLogsOptions,
  RolloutView,
  ServiceStatus,
  ServiceSummary,
} from './control-plane.ts';
import { DEFAULT_LOCK_LEASE_MS } from './lock-keeper.ts';
import { mergeLogs } from './merge-logs.ts';
import { isPlanned } from './planned-instance.ts';
import { keyOf, serviceTopology } from './rollout-data.ts';
import { healthyInstances } from './router-sync.ts';
import type { RouterAdmin } from './router-sync.ts';
import { history, instanceStates, rolloutView, serviceStatus } from './views.ts';

export interface ControllerCommandsOptions {
  readonly store: StateStore;
  /** Who holds the deploy lock for rollouts this controller starts. */
  readonly holderId: string;
  readonly runtimeFor: (type: string) => Runtime;
  /** For instance health in `status`; without it every instance reads unhealthy. */
  readonly router?: Pick<RouterAdmin, 'getState'>;
  readonly clock?: () => Date;
  readonly lockLeaseMs?: number;
}

/** How often `events` looks for new ones. */
const EVENTS_POLL_MS = 200;

export class ControllerCommands implements ControlPlane {
  readonly #store: StateStore;
  readonly #holder: string;
  readonly #runtimeFor: (type: string) => Runtime;
  readonly #router: Pick<RouterAdmin, 'getState'> | undefined;
  readonly #now: () => Date;
  readonly #leaseMs: number;

  constructor(options: ControllerCommandsOptions) {
    this.#store = options.store;
    this.#holder = options.holderId;
    this.#runtimeFor = options.runtimeFor;
    this.#router = options.router;
    this.#now = options.clock ?? (() => new Date());
    this.#leaseMs = options.lockLeaseMs ?? DEFAULT_LOCK_LEASE_MS;
  }

  async services(): Promise<ServiceSummary[]> {
    return this.#store.listServices().map((key) => {
      const live = livePool(serviceTopology(this.#store, key).topology);
      const newest = this.#store.listRollouts(key, { limit: 1 })[0];
      return { ...key, version: live?.version ?? null, rolloutStatus: newest?.status ?? null };
    });
  }

  async deploy(request: DeployRequest): Promise<RolloutView> {
    const key = keyOf(request);
    const spec = request.spec;
    if (spec.service !== key.service || spec.environment !== key.environment) {
      throw new SwitchyardError(
        'BAD_REQUEST',
        `The spec is for ${spec.service}/${spec.environment}, not ${key.service}/${key.environment}. Deploy it under its own service and environment.`,
      );
    }
    if (request.version.trim() === '') {
      throw new SwitchyardError('BAD_REQUEST', 'The version is empty; pass --version V.');
    }
    const live = livePool(serviceTopology(this.#store, key).topology);
    this.#checkRunnable(spec);
    const number = (this.#store.listRevisions(key, { limit: 1 })[0]?.number ?? 0) + 1;
    this.#takeLock(
      key,
      `deploy of ${request.version} (revision ${number}) by ${request.requestedBy}`,
    );
    const revision = this.#store.addRevision({
      ...key,
      version: request.version,
      spec,
      createdBy: request.requestedBy,
    });
    return this.#createRollout({
      revision,
      fromRevisionId: live?.revisionId ?? null,
      reason: Reason.RolloutCreated,
      message: `${request.requestedBy} deploys ${request.version} (revision ${revision.number}).`,
    });
  }

  async status(key: ServiceEnv): Promise<ServiceStatus> {
    this.#checkKnown(key);
    return serviceStatus({
      store: this.#store,
      key,
      healthy: await this.#healthy(),
      states: await instanceStates(this.#store, key, this.#runtimeFor),
      now: this.#now(),
    });
  }

  async promote(key: ServiceEnv, options: { readonly full: boolean }): Promise<RolloutView> {
    return this.#command(key, options.full ? 'promoteFull' : 'promote');
  }

  async pause(key: ServiceEnv): Promise<RolloutView> {
    return this.#command(key, 'pause');
  }

  async resume(key: ServiceEnv): Promise<RolloutView> {
    return this.#command(key, 'resume');
  }

  async abort(key: ServiceEnv): Promise<RolloutView> {
    return this.#command(key, 'abort');
  }

  /**
   * While the old pool still runs (the rollout in flight, before its scale
   * down), one router update; otherwise a new rollout of the target revision's
   * stored spec and version.
   */
  async rollback(
    key: ServiceEnv,
    options: { readonly toRevision?: number; readonly requestedBy: string },
  ): Promise<RolloutView> {
    this.#checkKnown(key);
    const active = this.#store.activeRollout(keyOf(key));
    if (active !== undefined) {
      const from =
        active.fromRevisionId === null ? undefined : this.#store.getRevision(active.fromRevisionId);
      if (options.toRevision !== undefined && options.toRevision !== from?.number) {
        throw this.#activeError(key, active, `roll back to revision ${options.toRevision}`);
      }
      recordCommand(this.#store, active, { name: 'rollback', requestedBy: options.requestedBy });
      return rolloutView(this.#store, active, this.#now());
    }
    const live = livePool(serviceTopology(this.#store, key).topology);
    const target = this.#rollbackTarget(key, options.toRevision, live?.revision);
    if (live?.revision === target.number) {
      throw new SwitchyardError(
        'BAD_REQUEST',
        `Revision ${target.number} (${target.version}) is already live; name another with --to.`,
      );
    }
    this.#checkRunnable(target.spec as ResolvedSpec);
    this.#takeLock(
      key,
      `rollback to ${target.version} (revision ${target.number}) by ${options.requestedBy}`,
    );
    return this.#createRollout({
      revision: target,
      fromRevisionId: live?.revisionId ?? null,
      reason: Reason.RollbackCreated,
      message: `${options.requestedBy} rolls back to ${target.version} (revision ${target.number}).`,
    });
  }

  async traffic(key: ServiceEnv, weights: readonly PoolWeight[]): Promise<ServiceStatus> {
    this.#changeTopology(key, 'set traffic', (topology) => {
      for (const w of weights) {
        if (!topology.pools.some((p) => p.name === w.pool)) {
          throw new SwitchyardError(
            'BAD_REQUEST',
            `There is no pool "${w.pool}"; use one of: ${topology.pools.map((p) => p.name).join(', ')}.`,
          );
        }
        if (!Number.isInteger(w.weight) || w.weight < 0) {
          throw new SwitchyardError(
            'BAD_REQUEST',
            `A weight must be a whole number ≥ 0, not ${w.weight}.`,
          );
        }
      }
      if (weights.reduce((sum, w) => sum + w.weight, 0) === 0) {
        throw new SwitchyardError('BAD_REQUEST', 'At least one pool needs a weight above 0.');
      }
      return {
        topology: {
          ...topology,
          weights: weights.map((w) => ({ pool: w.pool, weight: w.weight })),
        },
        reason: Reason.TrafficSet,
        message: `Traffic set by hand: ${weights.map((w) => `${w.pool} ${w.weight}`).join(', ')}.`,
      };
    });
    return this.status(key);
  }

  async scale(key: ServiceEnv, replicas: number): Promise<ServiceStatus> {
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new SwitchyardError(
        'BAD_REQUEST',
        `Replicas must be a whole number ≥ 1, not ${replicas}.`,
      );
    }
    this.#changeTopology(key, 'scale', (topology) => {
      const live = livePool(topology);
      if (live === undefined) {
        throw new SwitchyardError(
          'BAD_REQUEST',
          'No pool takes traffic, so there is nothing to scale; deploy first.',
        );
      }
      return {
        topology: {
          ...topology,
          pools: topology.pools.map((p) => (p.name === live.name ? { ...p, replicas } : p)),
        },
        reason: Reason.Scaled,
        message: `Pool ${live.name} (${live.version}) scaled to ${replicas} instance(s).`,
      };
    });
    return this.status(key);
  }

  async history(key: ServiceEnv, options: { readonly limit?: number }): Promise<HistoryEntry[]> {
    this.#checkKnown(key);
    return history(this.#store, key, options);
  }

  logs(key: ServiceEnv, options: InstanceLogsOptions): AsyncIterable<InstanceLogLine> {
    this.#checkKnown(key);
    const records = this.#store
      .listInstances(keyOf(key))
      .map((i) => i.record)
      // A planned instance has nothing to read yet; every started one has logs in its runtime.
      .filter((r) => !isPlanned(r))
      .filter((r) => options.instanceId === undefined || r.instanceId === options.instanceId);
    if (options.instanceId !== undefined && records.length === 0) {
      throw new SwitchyardError(
        'RUNTIME_NOT_FOUND',
        `${key.service}/${key.environment} has no instance ${options.instanceId}; see \`switchyard status\` for the ids.`,
      );
    }
    return mergeLogs(
      records.map((record) => ({
        instanceId: record.instanceId,
        lines: this.#runtimeFor(record.runtime).logs(record, {
          ...(options.tail !== undefined && { tail: options.tail }),
          ...(options.follow !== undefined && { follow: options.follow }),
          ...(options.signal !== undefined && { signal: options.signal }),
        }),
      })),
    );
  }

  async cleanup(key: ServiceEnv, options: { readonly apply: boolean }): Promise<CleanupPlan> {
    this.#checkKnown(key);
    // A rollout in flight owns its pools (the old one is its rollback window):
    // say so, rather than "nothing to clean up" beside a pool that takes no traffic.
    const active = this.#store.activeRollout(keyOf(key));
    if (active !== undefined) throw this.#activeError(key, active, 'clean up');
    const { topology } = serviceTopology(this.#store, key);
    const idle = topology.pools.filter(
      (p) => (topology.weights.find((w) => w.pool === p.name)?.weight ?? 0) === 0,
    );
    const instances = this.#store.listInstances(keyOf(key));
    const plan: CleanupPlan = {
      pools: idle.map((p) => ({
        name: p.name,
        revision: p.revision,
        instances: instances
          .filter((i) => i.record.pool === p.name && i.record.revision === p.revision)
          .map((i) => i.record.instanceId),
      })),
    };
    if (options.apply && idle.length > 0) {
      this.#changeTopology(key, 'clean up', (current) => ({
        topology: {
          pools: current.pools.filter((p) => !idle.some((i) => i.name === p.name)),
          weights: current.weights.filter((w) => !idle.some((i) => i.name === w.pool)),
          previewPool: idle.some((i) => i.name === current.previewPool)
            ? null
            : current.previewPool,
        },
        reason: Reason.CleanupApplied,
        message: `Removing idle pool(s) ${idle.map((p) => p.name).join(', ')}.`,
      }));
    }
    return plan;
  }

  async lockStatus(key: ServiceEnv): Promise<LockInfo | null> {
    return this.#store.getLock(keyOf(key)) ?? null;
  }

  async lockRelease(
    key: ServiceEnv,
    options: { readonly force: boolean; readonly requestedBy: string },
  ): Promise<LockInfo | null> {
    const lock = this.#store.getLock(keyOf(key)) ?? null;
    if (lock === null) return null;
    const active = this.#store.activeRollout(keyOf(key));
    if (!options.force && (active !== undefined || lock.holder !== this.#holder)) {
      throw new SwitchyardError(
        'LOCK_HELD',
        `The deploy lock of ${key.service}/${key.environment} is held by ${lock.holder} since ${lock.since} (${lock.reason})${active ? ' for the rollout in flight' : ''}. Wait for it, abort the rollout, or run \`switchyard lock release --force\`.`,
      );
    }
    const released = this.#store.forceReleaseLock(keyOf(key)) ?? null;
    this.#store.appendEvent({
      ...keyOf(key),
      type: 'lock.released',
      reason: Reason.LockReleased,
      message: `${options.requestedBy} released the deploy lock held by ${lock.holder}${options.force ? ' (forced)' : ''}.`,
    });
    return released;
  }

  async *events(
    filter: Partial<ServiceEnv> & { readonly afterId?: number; readonly signal: AbortSignal },
  ): AsyncIterable<StoredEvent> {
    const { signal, afterId, ...where } = filter;
    let last = afterId ?? 0;
    while (!signal.aborted) {
      for (const event of this.#store.listEvents({ ...where, afterId: last })) {
        last = event.id;
        yield event;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, EVENTS_POLL_MS);
        signal.addEventListener('abort', done, { once: true });
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  }

  #createRollout(options: {
    revision: Revision;
    fromRevisionId: number | null;
    reason: Reason;
    message: string;
  }): RolloutView {
    const { revision } = options;
    const rollout = this.#store.createRollout(
      {
        ...keyOf(revision),
        revisionId: revision.id,
        fromRevisionId: options.fromRevisionId,
        strategy: effectiveStrategy((revision.spec as ResolvedSpec).strategy).kind,
      },
      {
        type: 'rollout.created',
        reason: options.reason,
        message: options.message,
        data: { revision: revision.number, version: revision.version },
      },
    );
    return rolloutView(this.#store, rollout, this.#now());
  }

  async #command(
    key: ServiceEnv,
    name: 'promote' | 'promoteFull' | 'pause' | 'resume' | 'abort',
  ): Promise<RolloutView> {
    const active = this.#store.activeRollout(keyOf(key));
    if (active === undefined) {
      throw new SwitchyardError(
        'ROLLOUT_NOT_ACTIVE',
        `${key.service}/${key.environment} has no rollout in flight, so there is nothing to ${name}. See \`switchyard status\`.`,
      );
    }
    recordCommand(this.#store, active, { name, requestedBy: 'control API' });
    return rolloutView(this.#store, active, this.#now());
  }

  /** Takes the deploy lock for a new rollout: free, and no rollout in flight. */
  #takeLock(key: ServiceEnv, reason: string): void {
    const active = this.#store.activeRollout(key);
    if (active !== undefined) throw this.#activeError(key, active, 'start another rollout');
    const result = this.#store.acquireLock({
      ...key,
      holder: this.#holder,
      reason,
      leaseMs: this.#leaseMs,
    });
    if (!result.acquired) {
      const held = result.heldBy;
      throw new SwitchyardError(
        'LOCK_HELD',
        `${key.service}/${key.environment} is locked by ${held.holder} since ${held.since} (${held.reason}). Wait for it to finish, or run \`switchyard lock release --force\` if that holder is gone.`,
      );
    }
  }

  #activeError(key: ServiceEnv, active: Rollout, what: string): SwitchyardError {
    const lock = this.#store.getLock(key);
    const holder = lock
      ? `${lock.holder} since ${lock.since} (${lock.reason})`
      : `rollout ${active.id} since ${active.createdAt}`;
    return new SwitchyardError(
      'LOCK_HELD',
      `Cannot ${what}: rollout ${active.id} of ${key.service}/${key.environment} is ${active.status}, held by ${holder}. Wait for it, or \`switchyard abort\` it.`,
    );
  }

  /** Traffic, scale and cleanup change the topology of a service with no rollout in flight. */
  #changeTopology(
    key: ServiceEnv,
    what: string,
    change: (topology: Topology) => { topology: Topology; reason: Reason; message: string },
  ): void {
    this.#checkKnown(key);
    this.#takeLock(key, `${what} of ${key.service}/${key.environment}`);
    try {
      const { topology, rollout } = serviceTopology(this.#store, keyOf(key));
      if (rollout === undefined) {
        throw new SwitchyardError(
          'BAD_REQUEST',
          `${key.service}/${key.environment} has nothing deployed yet; deploy first.`,
        );
      }
      const next = change(topology);
      this.#store.updateRollout(
        rollout.id,
        { weights: next.topology.weights, data: { ...rollout.data, topology: next.topology } },
        { type: 'service.topology', reason: next.reason, message: next.message },
      );
    } finally {
      this.#store.releaseLock(keyOf(key), this.#holder);
    }
  }

  #checkRunnable(spec: ResolvedSpec): void {
    this.#runtimeFor(spec.runtime.type); // throws RUNTIME_NOT_SUPPORTED with what to do
  }

  #checkKnown(key: ServiceEnv): void {
    if (this.#store.listRevisions(keyOf(key), { limit: 1 }).length > 0) return;
    throw new SwitchyardError(
      'SERVICE_NOT_FOUND',
      `${key.service}/${key.environment} was never deployed here. Check the service name and --env, or run \`switchyard deploy\`.`,
    );
  }

  #rollbackTarget(
    key: ServiceEnv,
    toRevision: number | undefined,
    liveRevision: number | undefined,
  ): Revision {
    if (toRevision !== undefined) {
      const named = this.#store.getRevisionByNumber(keyOf(key), toRevision);
      if (named === undefined) {
        throw new SwitchyardError(
          'REVISION_NOT_FOUND',
          `${key.service}/${key.environment} has no revision ${toRevision}; \`switchyard history\` lists them.`,
        );
      }
      return named;
    }
    // The newest revision that went live before the current one.
    for (const rollout of this.#store.listRollouts(keyOf(key))) {
      if (rollout.status !== 'succeeded') continue;
      const revision = this.#store.getRevision(rollout.revisionId) as Revision;
      if (revision.number !== liveRevision) return revision;
    }
    throw new SwitchyardError(
      'REVISION_NOT_FOUND',
      `${key.service}/${key.environment} has no earlier revision that went live; name one with --to.`,
    );
  }

  async #healthy(): Promise<Set<string>> {
    if (this.#router === undefined) return new Set();
    try {
      return await healthyInstances(this.#router);
    } catch {
      return new Set(); // the router is down: status still answers, with nothing healthy
    }
  }
}
