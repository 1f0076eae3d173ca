/**
 * The reliability suite's own helper: the run's seed, so SEED=… replays a
 * run (test/support/seeded-random.ts turns it into numbers). The rest it
 * shares with the system tests (test/system/controller-harness.ts,
 * test/system/cli-harness.ts, test/support/processes.ts).
 */

/** The seed of this run: SEED from the environment, or a fresh one. */
export function seedFromEnv(): number {
  const given = process.env['SEED'];
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
