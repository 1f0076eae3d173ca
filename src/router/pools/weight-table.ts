/**
 * The precomputed table a request's pool is chosen from: cumulative weights
 * in a stable order, newest pool first. A point u in [0, 1) lands in the pool
 * whose range holds u * total.
 *
 * Why newest first: the pool listed last in the config (the canary, the new
 * colour) owns the low end of the range. As its weight grows its range only
 * widens, so a sticky client already on it stays, and a client on an older
 * pool moves only when the growing range passes its point (kamal-proxy style).
 */
export interface WeightTable {
  /** Pool indexes (into the config's pool list) with weight > 0, newest first. */
  readonly order: readonly number[];
  /** cumulative[i] = sum of the weights of order[0..i]. */
  readonly cumulative: readonly number[];
  readonly total: number;
}

export function buildWeightTable(weights: readonly number[]): WeightTable {
  const order: number[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (let i = weights.length - 1; i >= 0; i--) {
    const weight = weights[i] ?? 0;
    if (!(weight > 0)) continue;
    total += weight;
    order.push(i);
    cumulative.push(total);
  }
  return { order, cumulative, total };
}

/** The pool index a point u in [0, 1) falls on, or -1 when every weight is 0. */
export function poolAt(table: WeightTable, u: number): number {
  const { order, cumulative, total } = table;
  const point = u * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (point < (cumulative[i] as number)) return order[i] as number;
  }
  // Only reachable through floating-point rounding at u just under 1.
  return order.length === 0 ? -1 : (order[order.length - 1] as number);
}
