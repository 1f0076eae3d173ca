/**
 * The deploy lock is held for the whole rollout: taken by `deploy`, renewed
 * by the loop while the rollout runs, released when it ends. Only the
 * holder advances a rollout, so two controllers on one store never both act
 * on the same service.
 */
import { Reason } from '../rollout/reasons.ts';
import type { Rollout, ServiceEnv, StateStore } from '../state/store.ts';
import type { Logger } from './logger.ts';
import { keyOf } from './rollout-data.ts';

export const DEFAULT_LOCK_LEASE_MS = 60_000;

export class LockKeeper {
  readonly #store: StateStore;
  readonly #holder: string;
  readonly #leaseMs: number;
  readonly #logger: Logger;
  readonly #warned = new Set<number>();
  readonly #renewedAt = new Map<number, number>();

  constructor(options: { store: StateStore; holder: string; leaseMs?: number; logger: Logger }) {
    this.#store = options.store;
    this.#holder = options.holder;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LOCK_LEASE_MS;
    this.#logger = options.logger;
  }

  /** Takes or renews the lock for the rollout; false when someone else holds it. */
  hold(rollout: Rollout): boolean {
    const renewed = this.#renewedAt.get(rollout.id);
    // Leases are real time: renew a third of the way through, whatever clock drives strategies.
    if (renewed !== undefined && Date.now() - renewed < this.#leaseMs / 3) return true;
    const held = this.#store.getLock(keyOf(rollout));
    const result = this.#store.acquireLock({
      ...keyOf(rollout),
      holder: this.#holder,
      reason: held?.holder === this.#holder ? held.reason : `rollout ${rollout.id}`,
      leaseMs: this.#leaseMs,
    });
    if (result.acquired) {
      this.#renewedAt.set(rollout.id, Date.now());
      return true;
    }
    this.#renewedAt.delete(rollout.id);
    if (!this.#warned.has(rollout.id)) {
      this.#warned.add(rollout.id);
      this.#logger.warn(
        { rollout: rollout.id, heldBy: result.heldBy },
        `The deploy lock of ${rollout.service}/${rollout.environment} is held by ${result.heldBy.holder}; this controller leaves the rollout alone until it is free.`,
      );
    }
    return false;
  }

  release(key: ServiceEnv): void {
    try {
      this.#store.releaseLock(keyOf(key), this.#holder);
    } catch (error) {
      this.#logger.warn({ err: error }, 'Could not release the deploy lock.');
    }
  }

  /** At start: locks this holder kept for services with nothing in flight (a crash between the end and the release). */
  releaseStale(): void {
    for (const key of this.#store.listServices()) {
      const lock = this.#store.getLock(key);
      if (lock?.holder !== this.#holder || this.#store.activeRollout(key) !== undefined) continue;
      this.release(key);
      this.#store.appendEvent({
        ...keyOf(key),
        type: 'lock.released',
        reason: Reason.LockReleased,
        message: `Released the deploy lock left by ${this.#holder} with no rollout in flight.`,
      });
    }
  }
}
