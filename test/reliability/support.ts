/**
 * The reliability suite's own helper: a seeded PRNG, so SEED=… replays a
 * run. The rest it shares with the system tests (test/system/controller-
 * harness.ts, test/system/cli-harness.ts, test/support/processes.ts).
 */

/** The seed of this run: SEED from the environment, or a fresh one. */
export function seedFromEnv(): number {
  const given = process.env['SEED'];
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** mulberry32: small, fast, good enough to pick kill moments. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
