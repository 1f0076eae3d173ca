/**
 * Makes a service's instances match its topology: starts what is missing
 * (recording each as planned first), marks what is no longer wanted, and
 * retires unwanted instances once the router no longer sends them traffic:
 * drain, stop, forget. Wanted instances that died on their own (a crash, an
 * OOM kill) are forgotten, so the router config drops them and the next
 * converge replaces them, with a backoff when a pool keeps dying
 * (restart-backoff.ts). Every step is idempotent, so after a crash the same
 * calls finish whatever was half done.
 */
import { randomBytes } from 'node:crypto';
import { Reason } from '../rollout/reasons.ts';
import type { PoolPlan, Topology } from '../rollout/topology.ts';
import type { InstanceRecord, InstanceStatus, Runtime } from '../runtime/runtime.ts';
import { DEFAULT_ROUTER_DRAIN_TIMEOUT, durationMs } from '../spec/index.ts';
import type { ResolvedSpec } from '../spec/index.ts';
import type { ServiceEnv, StateStore, StoredInstance } from '../state/store.ts';
import type { Logger } from './logger.ts';
import { secretValues } from './secrets.ts';
import { instanceRequestFor } from './instance-request.ts';
import { isPlanned, plannedRecord } from './planned-instance.ts';
import { recordExit } from './restart-backoff.ts';
import type { BackoffState } from './restart-backoff.ts';
import { keyOf, routerServiceName } from './rollout-data.ts';
import type { RouterAdmin } from './router-sync.ts';

/** After a failed start, the pool waits this long before trying again. */
const START_RETRY_MS = 2_000;
/** Log lines of a dead instance quoted in its InstanceExited event. */
export const EXIT_LOG_LINES = 10;

export interface InstanceManagerOptions {
  readonly store: StateStore;
  readonly router: RouterAdmin;
  readonly runtimeFor: (type: string) => Runtime;
  readonly logger: Logger;
  readonly now: () => Date;
}

export class InstanceManager {
  readonly #options: InstanceManagerOptions;
  readonly #retiring = new Map<string, Promise<void>>();
  readonly #starting = new Set<string>();
  readonly #retryAt = new Map<string, number>();
  /** Per pool (poolKey): the streak of instances that died on their own. */
  readonly #exits = new Map<string, BackoffState>();

  constructor(options: InstanceManagerOptions) {
    this.#options = options;
  }

  /** Marks unwanted instances and starts missing ones. Resolves once the starts returned. */
  async converge(key: ServiceEnv, topology: Topology): Promise<void> {
    const { store } = this.#options;
    const records = store.listInstances(keyOf(key));
    const keep = new Set<string>();
    const starts: Promise<void>[] = [];
    for (const plan of topology.pools) {
      const mine = records
        .filter(
          (i) => i.desired && i.record.pool === plan.name && i.record.revision === plan.revision,
        )
        .sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt));
      for (const instance of mine.slice(0, plan.replicas)) keep.add(instance.record.instanceId);
      const missing = plan.replicas - Math.min(mine.length, plan.replicas);
      if (missing > 0) starts.push(this.#startMissing(key, plan, missing));
    }
    for (const { record, desired } of records) {
      if (desired && !keep.has(record.instanceId) && !this.#starting.has(record.instanceId)) {
        store.setInstanceDesired(record.instanceId, false);
      }
    }
    await Promise.all(starts);
  }

  /**
   * Inspects the service's wanted, started instances; each that is no longer
   * running (exited, or gone without a trace) gets an InstanceExited event
   * with its exit status and last log lines, is freed (a container is
   * removed) and forgotten, so the router
   * config leaves it out and the next converge starts a replacement in the
   * same pool, once the pool's backoff allows. Returns how many were found.
   */
  async replaceExited(key: ServiceEnv): Promise<number> {
    const { store, logger } = this.#options;
    let found = 0;
    for (const { record, desired } of store.listInstances(keyOf(key))) {
      const id = record.instanceId;
      if (!desired || isPlanned(record) || this.#starting.has(id) || this.#retiring.has(id))
        continue;
      const runtime = this.#options.runtimeFor(record.runtime);
      let status: InstanceStatus;
      try {
        status = await runtime.inspect(record);
      } catch (error) {
        logger.warn({ err: error, instanceId: id }, 'Could not inspect an instance.');
        continue;
      }
      if (status.state === 'running') continue;
      // It may have been retired or replaced while we looked.
      const now = store.listInstances(keyOf(key)).find((i) => i.record.instanceId === id);
      if (now === undefined || !now.desired) continue;
      found += 1;
      const logTail = await lastLines(runtime, record);
      await release(runtime, record, logger);
      await this.#forgetExited(key, record, status, logTail);
    }
    return found;
  }

  async #forgetExited(
    key: ServiceEnv,
    record: InstanceRecord,
    status: InstanceStatus,
    logTail: readonly string[],
  ): Promise<void> {
    const { store } = this.#options;
    const poolKey = poolKeyOf(key, record.pool, record.revision);
    const now = this.#options.now().getTime();
    const streak = recordExit(this.#exits.get(poolKey), now);
    this.#exits.set(poolKey, streak);
    const delayMs = streak.notBefore - now;
    const how =
      status.state === 'gone'
        ? 'is gone (no exit status was recorded)'
        : `exited (${status.signal != null ? `signal ${status.signal}` : `exit code ${status.exitCode ?? 'unknown'}`})`;
    const next =
      delayMs > 0
        ? `exit ${streak.exits} in a row in pool ${record.pool}: backing off, the replacement starts in ${formatMs(delayMs)}`
        : `starting a replacement in pool ${record.pool}`;
    store.removeInstance(record.instanceId);
    store.appendEvent({
      ...keyOf(key),
      type: 'instance.exited',
      reason: Reason.InstanceExited,
      message: `Instance ${record.instanceId} (${record.version}, pool ${record.pool}) ${how}; ${next}.${logTail.length > 0 ? ` Last log lines:\n${logTail.join('\n')}` : ''}`,
      data: {
        instanceId: record.instanceId,
        pool: record.pool,
        revision: record.revision,
        state: status.state,
        exitCode: status.exitCode ?? null,
        signal: status.signal ?? null,
        logTail: [...logTail],
        exitsInRow: streak.exits,
        restartDelayMs: delayMs,
      },
    });
  }

  /**
   * Drains and stops every unwanted, started instance of the service, in the
   * background. Call it after the router config that leaves them out is applied.
   */
  retireUnwanted(key: ServiceEnv): void {
    for (const instance of this.#options.store.listInstances(keyOf(key))) {
      const id = instance.record.instanceId;
      if (instance.desired || this.#retiring.has(id) || this.#starting.has(id)) continue;
      if (isPlanned(instance.record)) continue;
      const task = this.#retire(instance).finally(() => this.#retiring.delete(id));
      this.#retiring.set(id, task);
    }
  }

  /** Resolves when every retirement under way has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.#retiring.values()]);
  }

  async #startMissing(key: ServiceEnv, plan: PoolPlan, count: number): Promise<void> {
    const { store, logger } = this.#options;
    const poolKey = poolKeyOf(key, plan.name, plan.revision);
    if ((this.#retryAt.get(poolKey) ?? 0) > this.#options.now().getTime()) return;
    if ((this.#exits.get(poolKey)?.notBefore ?? 0) > this.#options.now().getTime()) return;
    const revision = store.getRevision(plan.revisionId);
    if (revision === undefined) {
      logger.error({ plan }, 'The revision of a pool is missing from the store; cannot start it.');
      return;
    }
    const spec = revision.spec as ResolvedSpec;
    const runtime = this.#options.runtimeFor(spec.runtime.type);
    const starts = Array.from({ length: count }, async () => {
      const instanceId = newInstanceId(key, plan);
      // Recorded before it exists: a crash during the start leaves a planned
      // record, never an unrecorded process or container.
      store.putInstance(
        plannedRecord({
          instanceId,
          runtime: runtime.type,
          service: key.service,
          environment: key.environment,
          revision: plan.revision,
          version: plan.version,
          pool: plan.name,
          at: this.#options.now(),
        }),
        true,
      );
      this.#starting.add(instanceId);
      try {
        const request = instanceRequestFor({
          key,
          plan,
          spec,
          instanceId,
          secrets: secretValues(spec.secrets),
        });
        if (request === undefined) {
          throw new Error(`the ${spec.runtime.type} runtime cannot run instances yet`);
        }
        const record = await runtime.start(request);
        store.putInstance(record);
        store.appendEvent({
          ...keyOf(key),
          type: 'instance.started',
          reason: Reason.InstanceStarted,
          message: `Started ${instanceId} (${plan.version}, pool ${plan.name}) on ${record.host}:${record.port}.`,
          data: { instanceId, pool: plan.name, revision: plan.revision, port: record.port },
        });
      } catch (error) {
        store.removeInstance(instanceId);
        this.#retryAt.set(poolKey, this.#options.now().getTime() + START_RETRY_MS);
        store.appendEvent({
          ...keyOf(key),
          type: 'instance.startFailed',
          reason: Reason.InstanceStartFailed,
          message: `Could not start an instance of ${plan.version} in pool ${plan.name}: ${(error as Error).message}`,
          data: { pool: plan.name, revision: plan.revision },
        });
      } finally {
        this.#starting.delete(instanceId);
      }
    });
    await Promise.all(starts);
  }

  async #retire(instance: StoredInstance): Promise<void> {
    const { store, router, logger } = this.#options;
    const { record } = instance;
    const key = { service: record.service, environment: record.environment };
    try {
      const spec = store.getRevisionByNumber(key, record.revision)?.spec as
        ResolvedSpec | undefined;
      const drainMs = durationMs(spec?.router.drainTimeout ?? DEFAULT_ROUTER_DRAIN_TIMEOUT);
      // Out of the router config already; wait for requests in flight to finish.
      await router.drain({
        service: routerServiceName(key),
        instanceIds: [record.instanceId],
        timeoutMs: drainMs,
      });
      const result = await this.#options.runtimeFor(record.runtime).stop(record);
      store.removeInstance(record.instanceId);
      store.appendEvent({
        ...key,
        type: 'instance.stopped',
        reason: Reason.InstanceStopped,
        message: `Drained and stopped ${record.instanceId} (${record.version}, pool ${record.pool})${result.killed ? '; it ignored SIGTERM and was killed' : ''}.`,
        data: { instanceId: record.instanceId, pool: record.pool, killed: result.killed },
      });
    } catch (error) {
      // Left unwanted in the store: the next pass tries again.
      logger.warn(
        { err: error, instanceId: record.instanceId },
        'Could not retire an instance; will retry.',
      );
    }
  }
}

function poolKeyOf(key: ServiceEnv, pool: string, revision: number): string {
  return `${key.service}/${key.environment}/${pool}/${revision}`;
}

/**
 * Frees what an instance that ended on its own still holds: the container
 * runtime removes its container (keeping the exit code and last lines).
 * A failure is logged, not fatal: the exit is reported either way.
 */
async function release(runtime: Runtime, record: InstanceRecord, logger: Logger): Promise<void> {
  try {
    await runtime.stop(record);
  } catch (error) {
    logger.warn(
      { err: error, instanceId: record.instanceId },
      'Could not free an exited instance.',
    );
  }
}

/** The instance's last log lines; none when its logs cannot be read. */
async function lastLines(runtime: Runtime, record: InstanceRecord): Promise<string[]> {
  const lines: string[] = [];
  try {
    for await (const line of runtime.logs(record, { tail: EXIT_LOG_LINES })) lines.push(line);
  } catch {
    // Logs are a courtesy here: the exit is reported without them.
  }
  return lines.slice(-EXIT_LOG_LINES);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Unique and safe as a file name: `<service>-<env>-<pool>-r<revision>-<random>`. */
function newInstanceId(key: ServiceEnv, plan: PoolPlan): string {
  return `${key.service}-${key.environment}-${plan.name}-r${plan.revision}-${randomBytes(4).toString('hex')}`;
}
