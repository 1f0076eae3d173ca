/** `switchyard scale N`: instances per pool. */
import { ExitCode } from '../../errors.ts';
import { commandContext, printJson, type ClientOptions } from '../command-context.ts';
import type { CliIO } from '../io.ts';
import { healthText } from '../render/status-text.ts';

export interface ScaleOptions extends ClientOptions {
  /** Checked by commander's argument parser: a whole number from 1. */
  readonly replicas: number;
  readonly json?: boolean;
}

export async function scaleCommand(options: ScaleOptions, io: CliIO): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const status = await client.scale(key, options.replicas);
  if (options.json) printJson(io, status);
  else {
    io.stdout.write(`${key.service}/${key.environment}: scaling to ${options.replicas} per pool\n`);
    for (const pool of status.pools) io.stdout.write(`  ${pool.name}: ${healthText(pool)}\n`);
  }
  return ExitCode.ok;
}
