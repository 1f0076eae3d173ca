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

/**
 * The command is an intent the controller's loop acts on a moment later, so
 * the answer says what was asked, then where the rollout is right now.
 */
export interface SteerCall {
  /** e.g. "Promote requested." */
  readonly asked: string;
  readonly call: (client: ApiClient, key: ServiceEnv) => Promise<RolloutView>;
}

export async function steer(
  options: SteerOptions,
  io: CliIO,
  steering: SteerCall,
): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const rollout = await steering.call(client, key);
  if (options.json) printJson(io, rollout);
  else io.stdout.write(`${steering.asked} Now: ${rolloutSentence(rollout)}\n`);
  return ExitCode.ok;
}
