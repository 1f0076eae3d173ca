/** `switchyard abort`: stop the rollout and send all traffic back to the stable pool. */
import type { CliIO } from '../io.ts';
import { steer, type SteerOptions } from './steer.ts';

export function abortCommand(options: SteerOptions, io: CliIO): Promise<number> {
  return steer(options, io, {
    asked: 'Abort requested: traffic goes back to the stable pool.',
    call: (client, key) => client.abort(key),
  });
}
