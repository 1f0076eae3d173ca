/**
 * `traffic --weights 90:10`: whole percentages, one per pool in the order
 * `status` lists the pools, adding up to 100.
 */
import { SwitchyardError } from '../errors.ts';
import type { PoolWeight } from '../state/store.ts';

export function parseWeights(flag: string, pools: readonly string[]): PoolWeight[] {
  const parts = flag.split(':');
  const usage = (problem: string) =>
    new SwitchyardError(
      'USAGE',
      `--weights ${JSON.stringify(flag)}: ${problem} Give one whole percentage per pool, in the order \`switchyard status\` lists them (${pools.join(', ') || 'no pools yet'}), adding up to 100, e.g. --weights ${example(pools.length)}.`,
    );
  if (pools.length === 0) throw usage('the service has no pools to send traffic to yet.');
  const weights = parts.map((part) => {
    if (!/^[0-9]{1,3}$/.test(part.trim()))
      throw usage(`"${part}" is not a whole number from 0 to 100.`);
    const weight = Number(part);
    if (weight > 100) throw usage(`${weight} is more than 100.`);
    return weight;
  });
  if (weights.length !== pools.length) {
    throw usage(
      `it has ${weights.length} weight${weights.length === 1 ? '' : 's'} but there ${pools.length === 1 ? 'is 1 pool' : `are ${pools.length} pools`}.`,
    );
  }
  const sum = weights.reduce((total, weight) => total + weight, 0);
  if (sum !== 100) throw usage(`the weights add up to ${sum}, not 100.`);
  return pools.map((pool, index) => ({ pool, weight: weights[index]! }));
}

function example(count: number): string {
  if (count <= 1) return '100';
  const each = Math.floor(100 / count);
  return [100 - each * (count - 1), ...Array.from({ length: count - 1 }, () => each)].join(':');
}
