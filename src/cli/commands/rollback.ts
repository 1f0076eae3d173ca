/** `switchyard rollback [--to REV]`: back to the previous (or named) revision. */
import type { CliIO } from '../io.ts';
import { steer, type SteerOptions } from './steer.ts';

export interface RollbackOptions extends SteerOptions {
  /** A revision number (commander parses and checks it). */
  readonly to?: number;
}

export function rollbackCommand(options: RollbackOptions, io: CliIO): Promise<number> {
  return steer(options, io, {
    asked:
      options.to === undefined
        ? 'Rollback requested.'
        : `Rollback to revision ${options.to} requested.`,
    call: (client, key) => client.rollback(key, options.to),
  });
}
