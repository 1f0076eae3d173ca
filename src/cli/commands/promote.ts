/** `switchyard promote [--full]`: go on past a pause; with --full, skip the remaining steps. */
import type { CliIO } from '../io.ts';
import { steer, type SteerOptions } from './steer.ts';

export interface PromoteOptions extends SteerOptions {
  readonly full?: boolean;
}

export function promoteCommand(options: PromoteOptions, io: CliIO): Promise<number> {
  return steer(options, io, {
    asked: options.full ? 'Full promote requested.' : 'Promote requested.',
    call: (client, key) => client.promote(key, options.full ?? false),
  });
}
