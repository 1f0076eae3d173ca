/**
 * Open-loop load at a fixed rate: sends RATE requests per second for SECONDS
 * (bounded), measuring each latency from the moment the request was due, so a
 * stall is not hidden by coordinated omission. Prints JSON.
 *   node bench/fixed-rate.ts URL RATE SECONDS
 */
import { Pool } from 'undici';

const [url = '', rateText = '2000', secondsText = '5'] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
const latencies: number[] = [];
let sent = 0;
let ok = 0;
let failed = 0;
const total = Math.round(rate * seconds);
const start = performance.now();
const intervalMs = 1000 / rate;

function fire(dueAt: number): void {
  sent++;
  pool.request({ method: 'GET', path: target.pathname }).then(
    async (response) => {
      await response.body.dump();
      if (response.statusCode < 400) ok++;
      else failed++;
      latencies.push(performance.now() - dueAt);
    },
    () => {
      failed++;
    },
  );
}

await new Promise<void>((resolve) => {
  const tick = (): void => {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    while (sent < due) fire(start + sent * intervalMs);
    if (sent >= total) return resolve();
    setTimeout(tick, 1);
  };
  tick();
});
// Wait (bounded) for the stragglers.
const deadline = performance.now() + 5000;
while (ok + failed < sent && performance.now() < deadline)
  await new Promise((r) => setTimeout(r, 10));
await pool.destroy();
latencies.sort((a, b) => a - b);
const pct = (p: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
process.stdout.write(
  JSON.stringify({
    sent,
    ok,
    failed: failed + (sent - ok - failed),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
  }) + '\n',
);
