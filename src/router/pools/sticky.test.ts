import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STICKY_COOKIE } from '../config.ts';
import { clientIdFromCookie, clientPoint, newClientId, stickyCookieHeader } from './sticky.ts';
import { buildWeightTable, poolAt } from './weight-table.ts';

// Pools in config order: the canary (newest) is listed last.
const STABLE = 0;
const CANARY = 1;

function assign(ids: readonly string[], weights: readonly number[]): number[] {
  const table = buildWeightTable(weights);
  return ids.map((id) => poolAt(table, clientPoint(id)));
}

const clients = Array.from({ length: 10_000 }, () => randomUUID());

describe('sticky assignment', () => {
  it('puts 10% of 10,000 clients on the canary at 90/10, within 2 points', () => {
    const pools = assign(clients, [90, 10]);
    const share = pools.filter((p) => p === CANARY).length / clients.length;
    expect(Math.abs(share - 0.1)).toBeLessThan(0.02);
  });

  it.each([
    [50, 50],
    [75, 25],
    [1, 99],
  ])('matches the weights %i/%i within 2 points', (stable, canary) => {
    const pools = assign(clients, [stable, canary]);
    const share = pools.filter((p) => p === CANARY).length / clients.length;
    expect(Math.abs(share - canary / (stable + canary))).toBeLessThan(0.02);
  });

  it('moves no client from canary to stable as the canary weight grows', () => {
    const steps = [
      [90, 10],
      [75, 25],
      [50, 50],
      [50, 100],
      [0, 100],
    ];
    let previous = assign(clients, steps[0] as number[]);
    for (const weights of steps.slice(1)) {
      const next = assign(clients, weights);
      const movedBack = previous.filter((p, i) => p === CANARY && next[i] === STABLE).length;
      expect(movedBack).toBe(0);
      previous = next;
    }
    expect(previous.every((p) => p === CANARY)).toBe(true);
  });

  it('moves a stable client only when the canary range passes its point', () => {
    const at10 = assign(clients, [90, 10]);
    const at50 = assign(clients, [50, 50]);
    clients.forEach((id, i) => {
      const point = clientPoint(id);
      expect(at10[i]).toBe(point < 0.1 ? CANARY : STABLE);
      expect(at50[i]).toBe(point < 0.5 ? CANARY : STABLE);
    });
  });

  it('gives a weight-0 pool no sticky clients: they move to a pool that takes traffic', () => {
    expect(assign(clients, [100, 0]).every((p) => p === STABLE)).toBe(true);
    expect(assign(clients, [0, 0]).every((p) => p === -1)).toBe(true);
  });

  it('is deterministic for an id and spreads points over [0, 1)', () => {
    const id = newClientId();
    expect(clientPoint(id)).toBe(clientPoint(id));
    const points = clients.map(clientPoint);
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...points)).toBeLessThan(1);
    const lowQuarter = points.filter((p) => p < 0.25).length / points.length;
    expect(Math.abs(lowQuarter - 0.25)).toBeLessThan(0.02);
  });
});

describe('weight table', () => {
  it('orders pools newest first and skips weight 0', () => {
    const table = buildWeightTable([3, 0, 1]);
    expect(table.order).toEqual([2, 0]);
    expect(table.cumulative).toEqual([1, 4]);
    expect(table.total).toBe(4);
    expect(poolAt(table, 0)).toBe(2);
    expect(poolAt(table, 0.24)).toBe(2);
    expect(poolAt(table, 0.25)).toBe(0);
    expect(poolAt(table, 0.999999)).toBe(0);
  });
});

describe('sticky cookie', () => {
  it('reads the id wherever the cookie sits in the header', () => {
    expect(clientIdFromCookie(`${STICKY_COOKIE}=abc-1`)).toBe('abc-1');
    expect(clientIdFromCookie(`a=1; ${STICKY_COOKIE}=abc_2; b=2`)).toBe('abc_2');
    expect(clientIdFromCookie(`x${STICKY_COOKIE}=nope`)).toBeUndefined();
    expect(clientIdFromCookie(`x${STICKY_COOKIE}=nope; ${STICKY_COOKIE}=yes`)).toBe('yes');
    expect(clientIdFromCookie(undefined)).toBeUndefined();
    expect(clientIdFromCookie('a=1')).toBeUndefined();
  });

  it('refuses ids that are empty, too long or carry odd characters', () => {
    expect(clientIdFromCookie(`${STICKY_COOKIE}=`)).toBeUndefined();
    expect(clientIdFromCookie(`${STICKY_COOKIE}=${'a'.repeat(65)}`)).toBeUndefined();
    expect(clientIdFromCookie(`${STICKY_COOKIE}=a"b`)).toBeUndefined();
  });

  it('sets HttpOnly, Path=/ and SameSite=Lax on a new id', () => {
    const id = newClientId();
    const header = stickyCookieHeader(id);
    expect(header.startsWith(`${STICKY_COOKIE}=${id};`)).toBe(true);
    expect(header).toContain('HttpOnly');
    expect(header).toContain('Path=/');
    expect(header).toContain('SameSite=Lax');
    expect(clientIdFromCookie(header.slice(0, header.indexOf(';')))).toBe(id);
  });
});
