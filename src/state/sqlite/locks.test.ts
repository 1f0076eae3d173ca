import { useTempStore } from '../../../test/support/use-temp-store.ts';
import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../../errors.ts';
import { thrownBy } from '../testing.ts';

const live = { service: 'shop', environment: 'live' };
const LEASE = 30_000;

function codeOf(error: unknown): string | undefined {
  return isSwitchyardError(error) ? error.code : undefined;
}

describe('deploy locks', () => {
  const t = useTempStore();

  it('goes through acquire, held, renew, lapse, takeover and force release', () => {
    // acquire a free lock
    const ann = t.store.acquireLock({
      ...live,
      holder: 'ann',
      reason: 'deploy v2',
      leaseMs: LEASE,
    });
    expect(ann).toEqual({
      acquired: true,
      lock: {
        ...live,
        holder: 'ann',
        reason: 'deploy v2',
        since: '2026-01-01T00:00:00.000Z',
        expiresAt: '2026-01-01T00:00:30.000Z',
      },
    });
    expect(t.store.getLock(live)?.holder).toBe('ann');

    // held: someone else is told who holds it
    t.temp.clock.advance(10_000);
    const bo = t.store.acquireLock({ ...live, holder: 'bo', reason: 'deploy v3', leaseMs: LEASE });
    expect(bo).toEqual({ acquired: false, heldBy: ann.acquired && ann.lock });

    // the holder renews; `since` stays, the lease moves on
    const renewed = t.store.renewLock(live, 'ann', LEASE);
    expect(renewed).toMatchObject({
      holder: 'ann',
      since: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:00:40.000Z',
    });
    // acquiring again as the holder renews too
    t.temp.clock.advance(5_000);
    const again = t.store.acquireLock({
      ...live,
      holder: 'ann',
      reason: 'deploy v2',
      leaseMs: LEASE,
    });
    expect(again.acquired && again.lock.expiresAt).toBe('2026-01-01T00:00:45.000Z');

    // a renewal by someone else fails
    expect(codeOf(thrownBy(() => t.store.renewLock(live, 'bo', LEASE)))).toBe('LOCK_NOT_HELD');

    // one millisecond before the lease ends it is still held…
    t.temp.clock.advance(29_999);
    expect(
      t.store.acquireLock({ ...live, holder: 'bo', reason: 'r', leaseMs: LEASE }).acquired,
    ).toBe(false);
    // …at expiresAt it has lapsed: no one holds it and bo takes it over
    t.temp.clock.advance(1);
    expect(t.store.getLock(live)).toBeUndefined();
    const takeover = t.store.acquireLock({
      ...live,
      holder: 'bo',
      reason: 'deploy v3',
      leaseMs: LEASE,
    });
    expect(takeover).toMatchObject({
      acquired: true,
      lock: { holder: 'bo', since: '2026-01-01T00:00:45.000Z' },
    });

    // the old holder can neither renew nor release it any more
    expect(codeOf(thrownBy(() => t.store.renewLock(live, 'ann', LEASE)))).toBe('LOCK_NOT_HELD');
    expect(codeOf(thrownBy(() => t.store.releaseLock(live, 'ann')))).toBe('LOCK_NOT_HELD');
    expect(t.store.getLock(live)?.holder).toBe('bo');

    // force release removes it whoever holds it and says what it removed
    const removed = t.store.forceReleaseLock(live);
    expect(removed).toMatchObject({ holder: 'bo', reason: 'deploy v3' });
    expect(t.store.getLock(live)).toBeUndefined();
    expect(t.store.forceReleaseLock(live)).toBeUndefined();
    expect(
      t.store.acquireLock({ ...live, holder: 'cy', reason: 'r', leaseMs: LEASE }).acquired,
    ).toBe(true);
  });

  it('lets the holder renew a lapsed lease that no one took over', () => {
    t.store.acquireLock({ ...live, holder: 'ann', reason: 'deploy', leaseMs: LEASE });
    t.temp.clock.advance(LEASE + 5_000);
    expect(t.store.renewLock(live, 'ann', LEASE)).toMatchObject({
      holder: 'ann',
      since: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:01:05.000Z',
    });
  });

  it('releases only for the holder, and releasing a free lock is a no-op', () => {
    t.store.releaseLock(live, 'ann');
    t.store.acquireLock({ ...live, holder: 'ann', reason: 'deploy', leaseMs: LEASE });
    expect(codeOf(thrownBy(() => t.store.releaseLock(live, 'bo')))).toBe('LOCK_NOT_HELD');
    expect(t.store.getLock(live)?.holder).toBe('ann');
    t.store.releaseLock(live, 'ann');
    expect(t.store.getLock(live)).toBeUndefined();
    expect(codeOf(thrownBy(() => t.store.renewLock(live, 'ann', LEASE)))).toBe('LOCK_NOT_HELD');
  });

  it('keeps one lock per service and environment', () => {
    const beta = { service: 'shop', environment: 'beta' };
    const cart = { service: 'cart', environment: 'live' };
    for (const key of [live, beta, cart]) {
      expect(
        t.store.acquireLock({
          ...key,
          holder: `${key.service}-${key.environment}`,
          reason: 'r',
          leaseMs: LEASE,
        }).acquired,
      ).toBe(true);
    }
    expect(t.store.getLock(beta)?.holder).toBe('shop-beta');
    expect(t.store.getLock(cart)?.holder).toBe('cart-live');
  });

  it('refuses a lease that is not a positive whole number of milliseconds', () => {
    for (const leaseMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => t.store.acquireLock({ ...live, holder: 'ann', reason: 'r', leaseMs })).toThrow(
        RangeError,
      );
    }
    expect(t.store.getLock(live)).toBeUndefined();
  });
});
