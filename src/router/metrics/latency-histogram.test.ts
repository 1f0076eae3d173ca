import { describe, expect, it } from 'vitest';
import {
  LATENCY_BUCKET_COUNT,
  LATENCY_RELATIVE_PRECISION,
  latencyBucketIndex,
  latencyBucketMillis,
} from './latency-histogram.ts';

describe('latency histogram layout', () => {
  it('reports every value within the stated relative precision', () => {
    for (let micros = 16; micros < 2 ** 31; micros = Math.ceil(micros * 1.0137) + 1) {
      const index = latencyBucketIndex(micros / 1e6);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(LATENCY_BUCKET_COUNT);
      const reported = latencyBucketMillis(index) * 1000;
      expect(Math.abs(reported - micros) / micros).toBeLessThanOrEqual(LATENCY_RELATIVE_PRECISION);
    }
  });

  it('orders buckets by value and keeps sub-16µs values exact', () => {
    let last = -1;
    for (let micros = 0; micros < 100_000; micros += 7) {
      const index = latencyBucketIndex(micros / 1e6);
      expect(index).toBeGreaterThanOrEqual(last);
      last = index;
    }
    expect(latencyBucketMillis(latencyBucketIndex(0.000_009))).toBe(0.009);
  });

  it('puts nonsense and huge values in the end buckets instead of throwing', () => {
    expect(latencyBucketIndex(-1)).toBe(0);
    expect(latencyBucketIndex(Number.NaN)).toBe(0);
    expect(latencyBucketIndex(1e9)).toBe(LATENCY_BUCKET_COUNT - 1);
  });
});
