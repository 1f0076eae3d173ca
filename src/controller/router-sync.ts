/**
 * Sends the global router config when it changed. The generation must never
 * go backwards (the router refuses with ROUTER_STALE_CONFIG), so it starts
 * from the router's own current generation and goes up by one per change;
 * a restarted controller therefore always sends a higher one.
 */
import { isSwitchyardError } from '../errors.ts';
import type { RouterAdminClient } from '../router/admin/client.ts';
import type { RouterService } from '../router/config.ts';
import { canonicalJson } from '../state/canonical-json.ts';

export type RouterAdmin = Pick<
  RouterAdminClient,
  'getConfig' | 'putConfig' | 'getState' | 'drain' | 'window'
>;

/** How `healthyInstances` names an instance: "<router service> <instanceId>". */
export function healthKey(routerService: string, instanceId: string): string {
  return `${routerService} ${instanceId}`;
}

/** The healthKey of every instance the router finds healthy. */
export async function healthyInstances(
  router: Pick<RouterAdmin, 'getState'>,
): Promise<Set<string>> {
  const state = await router.getState();
  return new Set(
    state.health.filter((h) => h.healthy).map((h) => healthKey(h.service, h.instanceId)),
  );
}

export class RouterSync {
  readonly #client: RouterAdmin;
  #generation = 0;
  #applied: string | undefined;

  constructor(options: { client: RouterAdmin }) {
    this.#client = options.client;
  }

  /** Reads what the router serves now, so an identical config is not sent again. */
  async init(): Promise<void> {
    const current = await this.#client.getConfig();
    this.#generation = current.generation;
    this.#applied = canonicalJson(current.services);
  }

  get generation(): number {
    return this.#generation;
  }

  /** True when a new generation was sent. */
  async apply(services: readonly RouterService[]): Promise<boolean> {
    const wanted = canonicalJson(services);
    if (wanted === this.#applied) return false;
    try {
      await this.#put(services);
    } catch (error) {
      if (!isSwitchyardError(error) || error.code !== 'ROUTER_STALE_CONFIG') throw error;
      // Someone sent a newer generation (a second controller, or a restart we
      // did not see): go above it.
      this.#generation = (await this.#client.getConfig()).generation;
      await this.#put(services);
    }
    this.#applied = wanted;
    return true;
  }

  async #put(services: readonly RouterService[]): Promise<void> {
    const generation = this.#generation + 1;
    await this.#client.putConfig({ generation, services });
    this.#generation = generation;
  }
}
