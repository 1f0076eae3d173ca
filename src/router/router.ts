import type { Logger } from 'pino';
import { SwitchyardError } from '../errors.ts';
import type { RouterConfig, RouterService } from './config.ts';
import { Listener, ListenerKind, type ListenerBinding } from './listener.ts';
import type { HealthView, RequestObserver } from './observer.ts';
import { ServiceRoute } from './pools/service-route.ts';
import { Upstream } from './pools/upstream.ts';
import type { ProxyContext } from './proxy/proxy-context.ts';
import { validateTopology } from './topology.ts';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_RESPONSE_TIMEOUT_MS = 60_000;

export interface RouterOptions {
  readonly observer: RequestObserver;
  readonly health: HealthView;
  readonly logger?: Logger;
  /** Time allowed to open a TCP connection to an instance. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Idle time allowed while waiting for or reading an instance's response (then 504). Default 60 s. */
  readonly responseTimeoutMs?: number;
}

export interface DrainStateEntry {
  readonly service: string;
  readonly pool: string;
  readonly instanceId: string;
  readonly inFlight: number;
  readonly openUpstreamSockets: number;
  readonly websockets: number;
  /** Left the config: gets no new requests. */
  readonly draining: boolean;
  /** Draining and finished (idle, or forced closed at the drain timeout). */
  readonly drained: boolean;
}

export interface WaitDrainedResult {
  readonly drained: readonly string[];
  readonly timedOut: readonly string[];
}

export interface ListeningPort {
  readonly service: string;
  readonly kind: ListenerKind;
  readonly host: string;
  readonly port: number;
}

interface DrainWaiter {
  readonly service: string;
  readonly pending: Set<string>;
  readonly drained: string[];
  check(): void;
}

/**
 * The data plane: listeners, per-service routing tables and the upstream
 * instances behind them. `apply` moves it from one config to the next;
 * instances that leave are drained, never cut.
 */
export class Router {
  readonly #ctx: ProxyContext;
  readonly #connectTimeoutMs: number;
  readonly #responseTimeoutMs: number;
  #generation = Number.NEGATIVE_INFINITY;
  #currentServices: readonly RouterService[] = [];
  #listeners = new Map<string, Listener>();
  /** Active instances by `service \0 pool \0 id`. */
  #upstreams = new Map<string, Upstream>();
  /** Instances that left the config and are draining or drained (until the next apply). */
  readonly #retired = new Set<Upstream>();
  readonly #waiters = new Set<DrainWaiter>();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: RouterOptions) {
    this.#responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.#ctx = {
      health: options.health,
      observer: options.observer,
      logger: options.logger,
      responseTimeoutMs: this.#responseTimeoutMs,
    };
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /**
   * Makes `config` the live one. Calls run one at a time in call order. A
   * config older than the current generation is ignored; the same config
   * twice changes nothing. Fails (keeping the old config) with
   * ROUTER_BAD_CONFIG or ROUTER_PORT_IN_USE.
   */
  apply(config: RouterConfig): Promise<void> {
    const run = this.#queue.then(() => this.#apply(config));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(config: RouterConfig): Promise<void> {
    if (this.#closed) throw new SwitchyardError('ROUTER_BAD_CONFIG', 'The router is closed.');
    if (config.generation < this.#generation) return;
    validateTopology(config);

    // 1. Open the listeners that are new. Nothing else changes until all are bound.
    const wanted = new Map<string, ListenerBinding>();
    for (const service of config.services) {
      for (const binding of bindingsOf(service)) wanted.set(listenerKey(binding), binding);
    }
    const opened = new Map<string, Listener>();
    try {
      for (const [key, binding] of wanted) {
        if (this.#listeners.has(key)) continue;
        const listener = new Listener(binding, this.#ctx);
        opened.set(key, listener);
        await listener.open();
      }
    } catch (error) {
      await Promise.all([...opened.values()].map((listener) => listener.close(0)));
      throw error;
    }

    // 2. Build the new tables, keeping the Upstream of every instance that stays.
    const upstreams = new Map<string, Upstream>();
    const routes = new Map<string, ServiceRoute>();
    for (const service of config.services) {
      routes.set(service.name, this.#buildRoute(service, upstreams));
    }

    // 3. Commit: swap every listener's table at once (synchronously).
    const listeners = new Map<string, Listener>(opened);
    for (const [key, listener] of this.#listeners) {
      const binding = wanted.get(key);
      if (binding === undefined) continue;
      listener.service = binding.service;
      listener.kind = binding.kind;
      listeners.set(key, listener);
    }
    for (const listener of listeners.values())
      listener.route = routes.get(listener.service) ?? null;
    const previousListeners = this.#listeners;
    const previousUpstreams = this.#upstreams;
    // A service that stays drains with its new timeout, one that left with its last.
    const drainTimeouts = new Map(
      [...this.#currentServices, ...config.services].map((s) => [s.name, s.drainTimeoutMs]),
    );
    this.#listeners = listeners;
    this.#upstreams = upstreams;
    this.#generation = config.generation;
    this.#currentServices = config.services;

    // 4. Retire what left: listeners close, instances drain.
    for (const upstream of this.#retired) if (upstream.drained) this.#retired.delete(upstream);
    for (const [key, listener] of previousListeners) {
      if (!listeners.has(key)) void listener.close(drainTimeouts.get(listener.service) ?? 0);
    }
    for (const [key, upstream] of previousUpstreams) {
      if (upstreams.get(key) === upstream) continue;
      this.#retired.add(upstream);
      upstream.startDrain({
        timeoutMs: drainTimeouts.get(upstream.service) ?? 0,
        onDrained: (drained) => this.#onDrained(drained),
      });
    }
    this.#checkWaiters();
  }

  #buildRoute(service: RouterService, upstreams: Map<string, Upstream>): ServiceRoute {
    return new ServiceRoute({
      service,
      health: this.#ctx.health,
      upstreams: (poolName) => {
        const pool = service.pools.find((candidate) => candidate.name === poolName);
        return (pool?.instances ?? []).map((instance) => {
          const key = upstreamKey(service.name, poolName, instance.id);
          const existing = this.#upstreams.get(key);
          const upstream =
            existing !== undefined &&
            existing.host === instance.host &&
            existing.port === instance.port
              ? existing
              : new Upstream({
                  service: service.name,
                  pool: poolName,
                  instanceId: instance.id,
                  host: instance.host,
                  port: instance.port,
                  observer: this.#ctx.observer.forInstance({
                    service: service.name,
                    pool: poolName,
                    instanceId: instance.id,
                  }),
                  connectTimeoutMs: this.#connectTimeoutMs,
                  responseTimeoutMs: this.#responseTimeoutMs,
                });
          upstreams.set(key, upstream);
          return upstream;
        });
      },
    });
  }

  #onDrained(upstream: Upstream): void {
    this.#ctx.observer.forget({
      service: upstream.service,
      pool: upstream.pool,
      instanceId: upstream.instanceId,
    });
    this.#checkWaiters();
  }

  /** Every instance the router knows, active or draining. */
  drainState(): DrainStateEntry[] {
    const entries: DrainStateEntry[] = [];
    for (const upstream of [...this.#upstreams.values(), ...this.#retired]) {
      entries.push({
        service: upstream.service,
        pool: upstream.pool,
        instanceId: upstream.instanceId,
        inFlight: upstream.inFlight,
        openUpstreamSockets: upstream.openSockets,
        websockets: upstream.websockets.size,
        draining: upstream.draining,
        drained: upstream.drained,
      });
    }
    return entries;
  }

  /**
   * Resolves when each instance is drained — out of every pool of the current
   * config and done with what it had — or when `timeoutMs` passes, saying
   * which were which. An instance the router never knew counts as drained.
   */
  waitDrained(options: {
    service: string;
    instanceIds: readonly string[];
    timeoutMs: number;
  }): Promise<WaitDrainedResult> {
    return new Promise((resolve) => {
      const waiter: DrainWaiter = {
        service: options.service,
        pending: new Set(options.instanceIds),
        drained: [],
        check: () => {
          for (const id of waiter.pending) {
            if (this.#isDrained(waiter.service, id)) {
              waiter.pending.delete(id);
              waiter.drained.push(id);
            }
          }
          if (waiter.pending.size === 0) finish();
        },
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve({ drained: waiter.drained, timedOut: [...waiter.pending] });
      };
      this.#waiters.add(waiter);
      const timer = setTimeout(finish, options.timeoutMs);
      waiter.check();
    });
  }

  #isDrained(service: string, instanceId: string): boolean {
    for (const upstream of this.#upstreams.values()) {
      if (upstream.service === service && upstream.instanceId === instanceId) return false;
    }
    for (const upstream of this.#retired) {
      if (upstream.service === service && upstream.instanceId === instanceId && !upstream.drained) {
        return false;
      }
    }
    return true;
  }

  #checkWaiters(): void {
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  /** The sockets the router listens on, with the ports the OS gave for port 0. */
  listeningPorts(): ListeningPort[] {
    return [...this.#listeners.values()].map((listener) => ({
      service: listener.service,
      kind: listener.kind,
      host: listener.host,
      port: listener.port,
    }));
  }

  /** Closes every listener, connection, tunnel and upstream socket at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    const listeners = [...this.#listeners.values()];
    const upstreams = [...this.#upstreams.values(), ...this.#retired];
    this.#listeners = new Map();
    this.#upstreams = new Map();
    this.#retired.clear();
    for (const upstream of upstreams) upstream.destroy();
    await Promise.all(listeners.map((listener) => listener.close(0)));
    // Nothing is routed any more: whoever waits for a drain gets an answer now.
    this.#checkWaiters();
  }
}

function bindingsOf(service: RouterService): ListenerBinding[] {
  const bindings: ListenerBinding[] = [
    {
      service: service.name,
      kind: ListenerKind.listen,
      host: service.listen.host ?? '0.0.0.0',
      port: service.listen.port,
    },
  ];
  if (service.preview !== undefined) {
    bindings.push({
      service: service.name,
      kind: ListenerKind.preview,
      host: service.preview.host ?? '127.0.0.1',
      port: service.preview.port,
    });
  }
  return bindings;
}

/**
 * Listeners are keyed by address, so a port that moves from one service to
 * another keeps its socket. Port 0 ("any free port") is keyed by its owner
 * instead, so it is not rebound on every apply.
 */
function listenerKey(binding: Pick<ListenerBinding, 'host' | 'port' | 'service' | 'kind'>): string {
  return binding.port === 0
    ? `${binding.host}:0:${binding.service}:${binding.kind}`
    : `${binding.host}:${binding.port}`;
}

function upstreamKey(service: string, pool: string, instanceId: string): string {
  return `${service}\0${pool}\0${instanceId}`;
}
