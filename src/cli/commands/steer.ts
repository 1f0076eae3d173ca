/** The shared body of `promote`, `pause`, `resume` and `abort`: one call, then say where the rollout is. */
import type { RolloutView } from '../../controller/control-plane.ts';
import { ExitCode } from '../../errors.ts';
import type { ServiceEnv } from '../../state/store.ts';
import type { ApiClient } from '../client/api-client.ts';
import {
  commandContext,
  printJson,
  rolloutSentence,
  type ClientOptions,
} from '../command-context.ts';
import type { CliIO } from '../io.ts';

export interface SteerOptions extends ClientOptions {
  readonly json?: boolean;
}

export async function steer(
  options: SteerOptions,
  io: CliIO,
  call: (client: ApiClient, key: ServiceEnv) => Promise<RolloutView>,
): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const rollout = await call(client, key);
  if (options.json) printJson(io, rollout);
  else io.stdout.write(`${rolloutSentence(rollout)}\n`);
  return ExitCode.ok;
}
