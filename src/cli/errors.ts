/**
 * The one place CLI errors are turned into what the user sees (STYLE.md §7):
 * a sentence, no stack trace unless SWITCHYARD_DEBUG is set, and the exit code
 * from DESIGN.md.
 */
import { ExitCode, isSwitchyardError } from '../errors.ts';
import type { CliIO } from './io.ts';

export function reportError(error: unknown, io: CliIO): number {
  const debug = Boolean(io.env['SWITCHYARD_DEBUG']);
  if (isSwitchyardError(error)) {
    // "Switchyard is not running here. …" is an answer, not a failure: printed as is.
    io.stderr.write(
      error.code === 'NOT_RUNNING' ? `${error.message}\n` : `error: ${error.message}\n`,
    );
    for (const detail of error.details) io.stderr.write(`  ${detail}\n`);
    if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(
    `error: ${message}\nThis is a bug in Switchyard; run again with SWITCHYARD_DEBUG=1 for details and report it.\n`,
  );
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return ExitCode.rolloutFailed;
}
