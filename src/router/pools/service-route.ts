import type { RouterService } from '../config.ts';
import type { HealthView } from '../observer.ts';
import { PoolRoute } from './pool-route.ts';
import { clientIdFromCookie, clientPoint, newClientId } from './sticky.ts';
import type { Upstream } from './upstream.ts';
import { buildWeightTable, poolAt, type WeightTable } from './weight-table.ts';

/** What a request brings to pool selection; the proxy fills it from the headers. */
export interface SelectionFacts {
  /** The Cookie header, when the service is sticky. */
  cookie: string | undefined;
  /** The value of the override header, if sent. */
  override: string | undefined;
  /** Set by `choose` when a sticky client had no id yet: send it a cookie. */
  newClientId: string | null;
}

/**
 * A service's routing table. Immutable once built (apart from round-robin
 * cursors); `Router.apply` builds a new one and swaps the reference, so a
 * request sees either the old table or the new one, never a mix.
 */
export class ServiceRoute {
  readonly name: string;
  readonly sticky: boolean;
  /** Lower-cased, as Node gives header names. */
  readonly overrideHeader: string;
  readonly pools: readonly PoolRoute[];
  readonly previewPool: PoolRoute | null;
  readonly #byName: ReadonlyMap<string, PoolRoute>;
  /** Pools by name, plus "canary" and "preview" for the preview pool (the new version). */
  readonly #overrides: ReadonlyMap<string, PoolRoute>;
  readonly #weights: WeightTable;

  constructor(options: {
    service: RouterService;
    upstreams: (pool: string) => readonly Upstream[];
    health: HealthView;
  }) {
    const service = options.service;
    this.name = service.name;
    this.sticky = service.sticky;
    this.overrideHeader = service.overrideHeader.toLowerCase();
    this.pools = service.pools.map(
      (pool) =>
        new PoolRoute({
          service: service.name,
          name: pool.name,
          weight: pool.weight,
          upstreams: options.upstreams(pool.name),
          balance: service.balance,
          health: options.health,
        }),
    );
    this.#byName = new Map(this.pools.map((pool) => [pool.name, pool]));
    this.#weights = buildWeightTable(this.pools.map((pool) => pool.weight));
    // The preview listener reaches the named pool, or the newest (last) one.
    const previewName = service.previewPool ?? service.pools[service.pools.length - 1]?.name;
    this.previewPool = previewName === undefined ? null : (this.#byName.get(previewName) ?? null);
    const overrides = new Map(this.#byName);
    for (const alias of ['canary', 'preview']) {
      if (this.previewPool !== null && !overrides.has(alias))
        overrides.set(alias, this.previewPool);
    }
    this.#overrides = overrides;
  }

  /** The instance a new request goes to, or null when no pool can take it. */
  choose(facts: SelectionFacts, preview: boolean): Upstream | null {
    if (preview) return this.previewPool === null ? null : this.previewPool.pick(null);
    if (facts.override !== undefined) {
      const pool = this.#overrides.get(facts.override);
      const upstream = pool === undefined ? null : pool.pick(null);
      if (upstream !== null) return upstream;
    }
    let u: number;
    if (this.sticky) {
      let id = clientIdFromCookie(facts.cookie);
      if (id === undefined) {
        id = newClientId();
        facts.newClientId = id;
      }
      u = clientPoint(id);
    } else {
      u = Math.random();
    }
    const index = poolAt(this.#weights, u);
    if (index >= 0) {
      const upstream = (this.pools[index] as PoolRoute).pick(null);
      if (upstream !== null) return upstream;
    }
    return this.#fallback(null);
  }

  /** Another instance for a retry: the same pool first, then any pool taking traffic. */
  chooseForRetry(failed: Upstream, preview: boolean): Upstream | null {
    const pool = this.#byName.get(failed.pool);
    const sibling = pool === undefined ? null : pool.pick(failed);
    if (sibling !== null || preview) return sibling;
    return this.#fallback(failed);
  }

  /** The first pool with weight > 0 (newest first) that has a healthy instance. */
  #fallback(exclude: Upstream | null): Upstream | null {
    for (const index of this.#weights.order) {
      const upstream = (this.pools[index] as PoolRoute).pick(exclude);
      if (upstream !== null) return upstream;
    }
    return null;
  }
}
