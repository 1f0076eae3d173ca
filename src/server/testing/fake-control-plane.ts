/**
 * A ControlPlane test double for the HTTP layer's tests (auth, validation,
 * error mapping, streaming) and the CLI's: it records every call and answers
 * with canned values, or throws the error a test sets for a method.
 */
import type {
  CleanupPlan,
  ControlPlane,
  DeployRequest,
  HistoryEntry,
  RolloutView,
  ServiceStatus,
  ServiceSummary,
} from '../../controller/control-plane.ts';
import type { LockInfo, PoolWeight, ServiceEnv, StoredEvent } from '../../state/store.ts';

export interface FakeCall {
  readonly method: keyof ControlPlane;
  readonly args: readonly unknown[];
}

export function fakeRollout(key: ServiceEnv, overrides: Partial<RolloutView> = {}): RolloutView {
  return {
    ...key,
    id: 1,
    revisionId: 1,
    fromRevisionId: null,
    strategy: 'blueGreen',
    status: 'progressing',
    step: 0,
    weights: [{ pool: 'blue', weight: 100 }],
    reason: 'RolloutStarted',
    message: 'started',
    data: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    revision: 1,
    version: '1.0.0',
    stepDescription: 'starting the green pool',
    analysis: [],
    ...overrides,
  };
}

export function fakeStatus(key: ServiceEnv, overrides: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    ...key,
    stable: { revision: 1, version: '1.0.0' },
    pools: [
      {
        name: 'blue',
        revision: 1,
        version: '1.0.0',
        weight: 100,
        instances: [
          {
            instanceId: 'blue-1',
            pool: 'blue',
            revision: 1,
            version: '1.0.0',
            host: '127.0.0.1',
            port: 41000,
            state: 'running',
            healthy: true,
            startedAt: '2026-01-01T00:00:00.000Z',
          },
        ],
      },
      { name: 'green', revision: 2, version: '2.0.0', weight: 0, instances: [] },
    ],
    rollout: null,
    router: { listen: 8080 },
    lock: null,
    ...overrides,
  };
}

export class FakeControlPlane implements ControlPlane {
  readonly calls: FakeCall[] = [];
  /** Set a method's error to make it throw. */
  readonly errors: Partial<Record<keyof ControlPlane, Error>> = {};
  serviceList: ServiceSummary[] = [];
  statusFor: (key: ServiceEnv) => ServiceStatus = (key) => fakeStatus(key);
  rolloutFor: (key: ServiceEnv) => RolloutView = (key) => fakeRollout(key);
  historyEntries: HistoryEntry[] = [];
  cleanupPlan: CleanupPlan = { pools: [] };
  lock: LockInfo | null = null;
  logLines: { instanceId: string; line: string }[] = [];
  /** Events `events()` yields (after `afterId`); the stream then ends unless `holdEvents`. */
  eventList: StoredEvent[] = [];
  /** Keep the event stream open after the list, until the signal aborts. */
  holdEvents = false;

  #record(method: keyof ControlPlane, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const error = this.errors[method];
    if (error) throw error;
  }

  async services(): Promise<ServiceSummary[]> {
    this.#record('services');
    return this.serviceList;
  }
  async deploy(request: DeployRequest): Promise<RolloutView> {
    this.#record('deploy', request);
    return this.rolloutFor(request);
  }
  async status(key: ServiceEnv): Promise<ServiceStatus> {
    this.#record('status', key);
    return this.statusFor(key);
  }
  async promote(key: ServiceEnv, options: { full: boolean }): Promise<RolloutView> {
    this.#record('promote', key, options);
    return this.rolloutFor(key);
  }
  async pause(key: ServiceEnv): Promise<RolloutView> {
    this.#record('pause', key);
    return this.rolloutFor(key);
  }
  async resume(key: ServiceEnv): Promise<RolloutView> {
    this.#record('resume', key);
    return this.rolloutFor(key);
  }
  async abort(key: ServiceEnv): Promise<RolloutView> {
    this.#record('abort', key);
    return this.rolloutFor(key);
  }
  async rollback(
    key: ServiceEnv,
    options: { toRevision?: number; requestedBy: string },
  ): Promise<RolloutView> {
    this.#record('rollback', key, options);
    return this.rolloutFor(key);
  }
  async traffic(key: ServiceEnv, weights: readonly PoolWeight[]): Promise<ServiceStatus> {
    this.#record('traffic', key, weights);
    return this.statusFor(key);
  }
  async scale(key: ServiceEnv, replicas: number): Promise<ServiceStatus> {
    this.#record('scale', key, replicas);
    return this.statusFor(key);
  }
  async history(key: ServiceEnv, options: { limit?: number }): Promise<HistoryEntry[]> {
    this.#record('history', key, options);
    return this.historyEntries;
  }
  async *logs(
    key: ServiceEnv,
    options: { instanceId?: string; tail?: number; follow?: boolean; signal?: AbortSignal },
  ): AsyncIterable<{ instanceId: string; line: string }> {
    this.#record('logs', key, { ...options, signal: undefined });
    for (const line of this.logLines) {
      if (options.instanceId === undefined || options.instanceId === line.instanceId) yield line;
    }
  }
  async cleanup(key: ServiceEnv, options: { apply: boolean }): Promise<CleanupPlan> {
    this.#record('cleanup', key, options);
    return this.cleanupPlan;
  }
  async lockStatus(key: ServiceEnv): Promise<LockInfo | null> {
    this.#record('lockStatus', key);
    return this.lock;
  }
  async lockRelease(
    key: ServiceEnv,
    options: { force: boolean; requestedBy: string },
  ): Promise<LockInfo | null> {
    this.#record('lockRelease', key, options);
    const released = this.lock;
    this.lock = null;
    return released;
  }
  async *events(
    filter: Partial<ServiceEnv> & { afterId?: number; signal: AbortSignal },
  ): AsyncIterable<StoredEvent> {
    this.#record('events', { ...filter, signal: undefined });
    for (const event of this.eventList) {
      if (filter.afterId !== undefined && event.id <= filter.afterId) continue;
      if (filter.service !== undefined && event.service !== filter.service) continue;
      if (filter.environment !== undefined && event.environment !== filter.environment) continue;
      yield event;
    }
    if (this.holdEvents && !filter.signal.aborted) {
      await new Promise<void>((resolve) =>
        filter.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  }
}
