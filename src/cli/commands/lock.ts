/** `switchyard lock status` / `lock release [--force]`: the deploy lock of the service. */
import { ExitCode } from '../../errors.ts';
import { commandContext, printJson, type ClientOptions } from '../command-context.ts';
import type { CliIO } from '../io.ts';
import { lockLine } from '../render/status-text.ts';

export interface LockOptions extends ClientOptions {
  readonly json?: boolean;
}

export async function lockStatusCommand(options: LockOptions, io: CliIO): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const lock = await client.lockStatus(key);
  if (options.json) printJson(io, { lock });
  else io.stdout.write(`${key.service}/${key.environment} ${lockLine(lock)}\n`);
  return ExitCode.ok;
}

export interface LockReleaseOptions extends LockOptions {
  /** Release a lock someone else holds (their rollout, if any, is not stopped). */
  readonly force?: boolean;
}

export async function lockReleaseCommand(options: LockReleaseOptions, io: CliIO): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const released = await client.lockRelease(key, options.force ?? false);
  if (options.json) printJson(io, { released });
  else
    io.stdout.write(
      released
        ? `Released the lock of ${key.service}/${key.environment} held by ${released.holder} since ${released.since}.\n`
        : `The lock of ${key.service}/${key.environment} was not held.\n`,
    );
  return ExitCode.ok;
}
