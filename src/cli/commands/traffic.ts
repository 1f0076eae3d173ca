/**
 * `switchyard traffic --weights 90:10`: set the split by hand. The weights
 * go to the pools in the order `status` lists them, and are checked here
 * (whole numbers, one per pool, adding up to 100) before anything changes.
 */
import { ExitCode } from '../../errors.ts';
import { commandContext, printJson, type ClientOptions } from '../command-context.ts';
import type { CliIO } from '../io.ts';
import { weightsText } from '../render/status-text.ts';
import { parseWeights } from '../weights-flag.ts';

export interface TrafficOptions extends ClientOptions {
  /** Required by commander (`requiredOption`). */
  readonly weights: string;
  readonly json?: boolean;
}

export async function trafficCommand(options: TrafficOptions, io: CliIO): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const before = await client.status(key);
  const weights = parseWeights(
    options.weights,
    before.pools.map((pool) => pool.name),
  );
  const after = await client.traffic(key, weights);
  if (options.json) printJson(io, after);
  else
    io.stdout.write(
      `${key.service}/${key.environment}: traffic is now ${weightsText(after.pools)}\n`,
    );
  return ExitCode.ok;
}
