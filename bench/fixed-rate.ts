/**
 * Open-loop load at a fixed rate in a process of its own (so it can be pinned
 * to the load core): RATE requests per second for SECONDS after one second of
 * warm-up that counts for nothing. Prints lib.ts's RateResult as JSON.
 *   node bench/fixed-rate.ts URL RATE SECONDS
 */
import { startOpenLoop } from './lib.ts';

const [url = '', rateText = '2000', secondsText = '5'] = process.argv.slice(2);
const result = await startOpenLoop({
  url,
  rate: Number(rateText),
  maxSeconds: Number(secondsText),
  warmUpSeconds: 1,
}).done;
process.stdout.write(`${JSON.stringify(result)}\n`);
