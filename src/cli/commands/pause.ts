/** `switchyard pause`: hold the rollout at its current step. */
import type { CliIO } from '../io.ts';
import { steer, type SteerOptions } from './steer.ts';

export function pauseCommand(options: SteerOptions, io: CliIO): Promise<number> {
  return steer(options, io, {
    asked: 'Pause requested.',
    call: (client, key) => client.pause(key),
  });
}
