/**
 * A fixed log-linear bucket layout for latencies, in whole microseconds
 * (the HdrHistogram idea, kept small): values below 16 µs get one bucket
 * each; above that, every power of two [2^k, 2^(k+1)) is cut into 16 equal
 * sub-buckets. A bucket is reported by its midpoint, so a percentile is
 * within 1/32 ≈ 3.2% of the true sample value (relative), at any scale.
 * The top bucket holds everything from 2^31 µs (about 36 minutes) up.
 *
 * Finding a bucket is a few integer operations (no logarithm, no search),
 * so recording stays cheap on the proxy's hot path.
 */

const SUB_BUCKET_BITS = 4;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 16
const MAX_EXPONENT = 31;

/** 16 exact buckets + 16 sub-buckets for each exponent 4..31. */
export const LATENCY_BUCKET_COUNT =
  SUB_BUCKETS + (MAX_EXPONENT - SUB_BUCKET_BITS + 1) * SUB_BUCKETS;

/** Worst-case relative error of a reported percentile. */
export const LATENCY_RELATIVE_PRECISION = 1 / (2 * SUB_BUCKETS);

const MAX_MICROS = 0xffffffff;

export function latencyBucketIndex(seconds: number): number {
  let micros = Math.round(seconds * 1e6);
  if (!(micros > 0)) return 0; // negative, zero or NaN
  if (micros > MAX_MICROS) micros = MAX_MICROS;
  if (micros < SUB_BUCKETS) return micros;
  const exponent = 31 - Math.clz32(micros);
  const shift = exponent - SUB_BUCKET_BITS;
  return SUB_BUCKETS + shift * SUB_BUCKETS + ((micros >>> shift) - SUB_BUCKETS);
}

/** The value a bucket stands for (its midpoint), in milliseconds. */
export function latencyBucketMillis(index: number): number {
  if (index < SUB_BUCKETS) return index / 1000;
  const shift = Math.floor((index - SUB_BUCKETS) / SUB_BUCKETS);
  const sub = (index - SUB_BUCKETS) % SUB_BUCKETS;
  const lower = (SUB_BUCKETS + sub) * 2 ** shift;
  const width = 2 ** shift;
  return (lower + width / 2) / 1000;
}

/**
 * The q-quantile (0 < q ≤ 1) of the samples counted in `counts`, by nearest
 * rank: the smallest value with at least q·n samples at or below it. Null
 * when there are no samples.
 */
export function latencyQuantileMillis(
  counts: Uint32Array,
  total: number,
  q: number,
): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let index = 0; index < counts.length; index++) {
    seen += counts[index] ?? 0;
    if (seen >= rank) return latencyBucketMillis(index);
  }
  return latencyBucketMillis(counts.length - 1);
}
