import http from 'node:http';
import type { RouterConfig, RouterHealthCheck } from '../config.ts';
import type { HealthView } from '../observer.ts';
import { InstanceHealth, type HealthReason } from './instance-health.ts';
import { probeInstance } from './probe.ts';
import { systemScheduler, type Scheduler, type TimerHandle } from './scheduler.ts';

export interface HealthChange {
  readonly service: string;
  readonly instanceId: string;
  readonly healthy: boolean;
  readonly reason: HealthReason;
  readonly detail: string;
}

export interface InstanceHealthEntry extends HealthChange {
  readonly host: string;
  readonly port: number;
}

/** Healthy instance ids per service: what is saved with the config for a restart. */
export type HealthyInstances = Readonly<Record<string, readonly string[]>>;

export interface HealthCheckerOptions {
  /** Defaults to real (unref'd) timers; tests pass a FakeScheduler. */
  readonly scheduler?: Scheduler;
}

export interface ApplyHealthOptions {
  /**
   * Instances healthy when the config was saved. Those that are new to the
   * checker start healthy (so a restarted router serves at once) and are
   * probed immediately; failures drop them per `unhealthyThreshold`.
   */
  readonly trusted?: HealthyInstances;
}

interface TrackedInstance {
  readonly service: string;
  readonly id: string;
  readonly host: string;
  readonly port: number;
  check: RouterHealthCheck;
  readonly state: InstanceHealth;
  readonly stop: AbortController;
  timer: TimerHandle | null;
}

/**
 * Active health checks for every instance in the router config, plus passive
 * ejection reported by the proxy. Each instance runs its own loop: probe,
 * wait `intervalMs`, probe again; a new instance is probed at once, so a
 * deploy does not wait an interval before its first pass counts.
 */
export class HealthChecker implements HealthView {
  private readonly scheduler: Scheduler;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  private readonly services = new Map<string, Map<string, TrackedInstance>>();
  private readonly listeners = new Set<(change: HealthChange) => void>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(options: HealthCheckerOptions = {}) {
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  /** Start probing instances that are new, stop those that left, adopt new check settings. */
  apply(config: RouterConfig, options: ApplyHealthOptions = {}): void {
    const wanted = new Map<
      string,
      Map<string, { host: string; port: number; check: RouterHealthCheck }>
    >();
    for (const service of config.services) {
      const instances = new Map<string, { host: string; port: number; check: RouterHealthCheck }>();
      for (const pool of service.pools)
        for (const instance of pool.instances)
          instances.set(instance.id, {
            host: instance.host,
            port: instance.port,
            check: service.healthCheck,
          });
      wanted.set(service.name, instances);
    }

    for (const [serviceName, tracked] of this.services) {
      const keep = wanted.get(serviceName);
      for (const [id, instance] of tracked) {
        const next = keep?.get(id);
        // Same id at a new address is a different process: it must pass on its own.
        if (!next || next.host !== instance.host || next.port !== instance.port) {
          this.stopInstance(instance);
          tracked.delete(id);
        }
      }
      if (tracked.size === 0) this.services.delete(serviceName);
    }

    for (const [serviceName, instances] of wanted) {
      let tracked = this.services.get(serviceName);
      if (!tracked) {
        tracked = new Map();
        this.services.set(serviceName, tracked);
      }
      const trusted = new Set(options.trusted?.[serviceName] ?? []);
      for (const [id, target] of instances) {
        const existing = tracked.get(id);
        if (existing) {
          existing.check = target.check;
          continue;
        }
        const instance: TrackedInstance = {
          service: serviceName,
          id,
          host: target.host,
          port: target.port,
          check: target.check,
          state: new InstanceHealth({ trusted: trusted.has(id) }),
          stop: new AbortController(),
          timer: null,
        };
        tracked.set(id, instance);
        this.probe(instance);
      }
      if (tracked.size === 0) this.services.delete(serviceName);
    }
  }

  isHealthy(service: string, instanceId: string): boolean {
    return this.services.get(service)?.get(instanceId)?.state.healthy === true;
  }

  reportConnectFailure(service: string, instanceId: string): void {
    const instance = this.services.get(service)?.get(instanceId);
    if (!instance) return;
    const change = instance.state.eject('the router could not connect to it');
    if (change) this.emit(instance);
  }

  /** Listen for health changes; returns a function that stops listening. */
  onChange(listener: (change: HealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): InstanceHealthEntry[] {
    const entries: InstanceHealthEntry[] = [];
    for (const tracked of this.services.values())
      for (const instance of tracked.values())
        entries.push({
          service: instance.service,
          instanceId: instance.id,
          host: instance.host,
          port: instance.port,
          healthy: instance.state.healthy,
          reason: instance.state.reason,
          detail: instance.state.detail,
        });
    return entries;
  }

  healthyInstances(): HealthyInstances {
    const result: Record<string, string[]> = {};
    for (const [serviceName, tracked] of this.services) {
      const healthy = [...tracked.values()].filter((i) => i.state.healthy).map((i) => i.id);
      if (healthy.length > 0) result[serviceName] = healthy;
    }
    return result;
  }

  /** Resolves once no probe is in flight (tests use it after advancing a fake scheduler). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const tracked of this.services.values())
      for (const instance of tracked.values()) this.stopInstance(instance);
    this.services.clear();
    await this.idle();
    this.agent.destroy();
  }

  private probe(instance: TrackedInstance): void {
    instance.timer = null;
    const { check } = instance;
    const done = probeInstance(
      { host: instance.host, port: instance.port, path: check.path, timeoutMs: check.timeoutMs },
      { agent: this.agent, scheduler: this.scheduler, signal: instance.stop.signal },
    ).then((result) => {
      if (instance.stop.signal.aborted || this.closed) return;
      const change = instance.state.recordProbe(result.ok, result.detail, instance.check);
      if (change) this.emit(instance);
      instance.timer = this.scheduler.setTimeout(
        () => this.probe(instance),
        instance.check.intervalMs,
      );
    });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  private stopInstance(instance: TrackedInstance): void {
    instance.stop.abort();
    if (instance.timer) this.scheduler.clearTimeout(instance.timer);
    instance.timer = null;
  }

  private emit(instance: TrackedInstance): void {
    const change: HealthChange = {
      service: instance.service,
      instanceId: instance.id,
      healthy: instance.state.healthy,
      reason: instance.state.reason,
      detail: instance.state.detail,
    };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure (e.g. a full disk while saving) must not stop the probe loop.
      }
    }
  }
}
