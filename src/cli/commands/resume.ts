/** `switchyard resume`: continue a paused rollout. */
import type { CliIO } from '../io.ts';
import { steer, type SteerOptions } from './steer.ts';

export function resumeCommand(options: SteerOptions, io: CliIO): Promise<number> {
  return steer(options, io, {
    asked: 'Resume requested.',
    call: (client, key) => client.resume(key),
  });
}
