import type { BalanceAlgorithm } from '../config.ts';
import type { HealthView } from '../observer.ts';
import type { Upstream } from './upstream.ts';

/** One pool inside a routing table: its instances and how to pick among them. */
export class PoolRoute {
  readonly name: string;
  readonly weight: number;
  readonly upstreams: readonly Upstream[];
  readonly #service: string;
  readonly #health: HealthView;
  readonly #leastRequests: boolean;
  #cursor = 0;

  constructor(options: {
    service: string;
    name: string;
    weight: number;
    upstreams: readonly Upstream[];
    balance: BalanceAlgorithm;
    health: HealthView;
  }) {
    this.name = options.name;
    this.weight = options.weight;
    this.upstreams = options.upstreams;
    this.#service = options.service;
    this.#health = options.health;
    this.#leastRequests = options.balance === 'least-requests';
  }

  /** A healthy instance other than `exclude`, or null when there is none. */
  pick(exclude: Upstream | null): Upstream | null {
    const upstreams = this.upstreams;
    const count = upstreams.length;
    if (count === 0) return null;
    const start = this.#cursor;
    this.#cursor = start + 1 >= count ? 0 : start + 1;
    let best: Upstream | null = null;
    for (let step = 0; step < count; step++) {
      let index = start + step;
      if (index >= count) index -= count;
      const candidate = upstreams[index] as Upstream;
      // `draining` matters only for retries, which use the table their request
      // started with; a new request always sees a table without draining instances.
      if (
        candidate === exclude ||
        candidate.draining ||
        !this.#health.isHealthy(this.#service, candidate.instanceId)
      ) {
        continue;
      }
      if (!this.#leastRequests) return candidate;
      // Least requests: the fewest in flight; ties go to the rotating start.
      if (best === null || candidate.inFlight < best.inFlight) best = candidate;
      if (best.inFlight === 0) return best;
    }
    return best;
  }
}
