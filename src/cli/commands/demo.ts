import { ExitCode, SwitchyardError } from '../../errors.ts';
import { runDemo } from '../../demo/demo.ts';
import type { CliIO } from '../io.ts';

export interface DemoCommandOptions {
  readonly duration?: string;
}

/** `switchyard demo`: exits 0 when no request failed, 1 otherwise. */
export async function demoCommand(options: DemoCommandOptions, io: CliIO): Promise<number> {
  const phaseSeconds = Number(options.duration ?? '4');
  if (!Number.isFinite(phaseSeconds) || phaseSeconds < 1 || phaseSeconds > 60) {
    throw new SwitchyardError(
      'USAGE',
      `--duration must be a number of seconds from 1 to 60, not "${options.duration}".`,
    );
  }
  const result = await runDemo({ phaseSeconds, print: (line) => io.stdout.write(`${line}\n`) });
  if (result.failed === 0 && result.strays === 0) {
    io.stdout.write('No request failed: every switch happened with zero downtime.\n');
    return ExitCode.ok;
  }
  io.stdout.write(
    `${result.failed} requests failed and ${result.strays} reached an old version after a switch. That is a bug; please report it.\n`,
  );
  return ExitCode.rolloutFailed;
}
