import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { InstanceObserver, RequestObserver } from '../observer.ts';
import { systemClock, type Clock } from './clock.ts';
import { registerInstanceCollectors } from './instance-collectors.ts';
import { InstanceMetrics } from './instance-metrics.ts';
import {
  DEFAULT_WINDOW_SECONDS,
  RollingWindow,
  noTraffic,
  resolveSpan,
  type WindowSpanQuery,
  type WindowStats,
} from './rolling-window.ts';

export interface InstanceKey {
  readonly service: string;
  readonly pool: string;
  readonly instanceId: string;
}

export interface RouterMetricsOptions {
  /** Defaults to Date.now; tests pass a fake clock to drive the rolling windows. */
  readonly clock?: Clock;
  /** How many seconds each pool's rolling window holds (default 60). */
  readonly windowSeconds?: number;
  /** Also export Node process metrics (CPU, memory, event loop) from this registry. */
  readonly processMetrics?: boolean;
}

/**
 * Prometheus metrics per service, pool and instance, on a registry of its own
 * (never prom-client's global one), and a rolling window per pool that the
 * analysis reads without a Prometheus server.
 */
export class RouterMetrics implements RequestObserver {
  readonly registry = new Registry();
  private readonly clock: Clock;
  private readonly windowSeconds: number;
  private readonly handles = new Map<string, InstanceMetrics>();
  private readonly windows = new Map<string, { window: RollingWindow; instances: number }>();
  private readonly noUpstreamTotal = new Counter({
    name: 'switchyard_router_no_upstream_total',
    help: 'Requests answered 503 because no healthy instance was available.',
    labelNames: ['service'],
    registers: [this.registry],
  });

  constructor(options: RouterMetricsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    registerInstanceCollectors(this.registry, () => this.handles.values());
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The handle for one instance. Asking twice for the same key (an instance
   * that moved address keeps its id) returns the same handle; it lives until
   * every holder has called `forget`.
   */
  forInstance(key: InstanceKey): InstanceObserver {
    const id = handleKey(key);
    let handle = this.handles.get(id);
    if (!handle) {
      handle = new InstanceMetrics({
        labels: { service: key.service, pool: key.pool, instance: key.instanceId },
        window: this.poolWindow(key.service, key.pool),
      });
      this.handles.set(id, handle);
    }
    handle.refs++;
    return handle;
  }

  noUpstream(service: string): void {
    this.noUpstreamTotal.inc({ service });
  }

  forget(key: InstanceKey): void {
    const id = handleKey(key);
    const handle = this.handles.get(id);
    if (!handle || --handle.refs > 0) return;
    this.handles.delete(id);
    const poolId = poolKey(key.service, key.pool);
    const pool = this.windows.get(poolId);
    // The pool's window outlives single instances (a rolling update replaces
    // them one by one) and goes with the pool's last instance.
    if (pool && --pool.instances === 0) this.windows.delete(poolId);
  }

  /**
   * The pool's rolling-window stats over the span asked for; zeros and nulls
   * over the same span for a pool the router does not know (yet, or any more).
   */
  window(query: { service: string; pool: string } & WindowSpanQuery): WindowStats {
    const { service, pool: poolName, ...span } = query;
    const pool = this.windows.get(poolKey(service, poolName));
    if (pool) return pool.window.stats(span);
    const now = Math.floor(this.clock.now() / 1000);
    return noTraffic(resolveSpan(span, now, this.windowSeconds));
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private poolWindow(service: string, pool: string): RollingWindow {
    const id = poolKey(service, pool);
    let entry = this.windows.get(id);
    if (!entry) {
      entry = {
        window: new RollingWindow({ clock: this.clock, seconds: this.windowSeconds }),
        instances: 0,
      };
      this.windows.set(id, entry);
    }
    entry.instances++;
    return entry.window;
  }
}

function handleKey(key: InstanceKey): string {
  return `${key.service}\u0000${key.pool}\u0000${key.instanceId}`;
}

function poolKey(service: string, pool: string): string {
  return `${service}\u0000${pool}`;
}
