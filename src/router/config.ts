/**
 * The router's configuration: what the controller sends through the admin API
 * and what the router writes to disk so it serves the last config at once
 * after a restart. Plain JSON; durations in milliseconds. Validated with zod
 * at the admin API boundary and when read from disk (see config-schema.ts).
 */

export interface RouterInstance {
  /** Stable id (the runtime's instanceId). */
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export interface RouterPool {
  /** e.g. "stable", "canary", "blue", "green", or "rev-7". */
  readonly name: string;
  /** Any non-negative integer; shares are weight / sum of weights. 0 = no new traffic. */
  readonly weight: number;
  readonly instances: readonly RouterInstance[];
}

export interface RouterHealthCheck {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface RouterListen {
  readonly port: number;
  /** Default 0.0.0.0 for the main listener, 127.0.0.1 for the preview listener. */
  readonly host?: string;
}

export type BalanceAlgorithm = 'round-robin' | 'least-requests';

export interface RouterService {
  /** Unique key, "<service>/<environment>". Metrics are labelled with it. */
  readonly name: string;
  readonly listen: RouterListen;
  /** A listener that always reaches `previewPool` (the newest pool). */
  readonly preview?: RouterListen;
  readonly previewPool?: string;
  readonly pools: readonly RouterPool[];
  readonly balance: BalanceAlgorithm;
  /** Sticky assignment by cookie: a client keeps its pool as weights change. */
  readonly sticky: boolean;
  /** A tester sends `X-Switchyard-Pool: canary` to reach a pool at any weight. */
  readonly overrideHeader: string;
  readonly healthCheck: RouterHealthCheck;
  readonly drainTimeoutMs: number;
}

export interface RouterConfig {
  /** Increases with every change the controller makes; the router ignores older ones. */
  readonly generation: number;
  readonly services: readonly RouterService[];
}

export const DEFAULT_OVERRIDE_HEADER = 'x-switchyard-pool';
export const STICKY_COOKIE = 'switchyard_pool';

/** What a service gets for any field the caller leaves out (the spec's defaults, in ms). */
export const ROUTER_SERVICE_DEFAULTS = {
  balance: 'round-robin',
  sticky: false,
  overrideHeader: DEFAULT_OVERRIDE_HEADER,
  healthCheck: {
    path: '/healthz',
    intervalMs: 1000,
    timeoutMs: 500,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
  },
  drainTimeoutMs: 30_000,
} as const satisfies Omit<RouterService, 'name' | 'listen' | 'pools'>;

/** A service entry with the defaults above for whatever `fields` leaves out. */
export function routerService(
  fields: Pick<RouterService, 'name' | 'listen' | 'pools'> & Partial<RouterService>,
): RouterService {
  return { ...ROUTER_SERVICE_DEFAULTS, ...fields };
}
