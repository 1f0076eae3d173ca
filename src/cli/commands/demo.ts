import { ExitCode, SwitchyardError } from '../../errors.ts';
import { runDemo } from '../../demo/demo.ts';
import type { CliIO } from '../io.ts';

export interface DemoCommandOptions {
  readonly duration?: string;
}

/**
 * `switchyard demo`: exits 0 when no request failed and no response came from
 * an old version after a switch, 1 otherwise, 130 on Ctrl-C (after cleaning up).
 */
export async function demoCommand(options: DemoCommandOptions, io: CliIO): Promise<number> {
  const phaseSeconds = Number(options.duration ?? '4');
  if (!Number.isFinite(phaseSeconds) || phaseSeconds < 1 || phaseSeconds > 60) {
    throw new SwitchyardError(
      'USAGE',
      `--duration must be a number of seconds from 1 to 60, not "${options.duration}".`,
    );
  }
  const interrupted = new AbortController();
  const onSigint = () => {
    io.stdout.write('\nInterrupted: stopping everything the demo started…\n');
    interrupted.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSigint);
  // On a terminal, one status line is redrawn in place; otherwise plain lines only.
  let shown = false;
  const status = io.stdout.isTTY
    ? (line: string | undefined) => {
        if (line === undefined) {
          if (shown) io.stdout.write('\r\x1b[2K');
          shown = false;
          return;
        }
        io.stdout.write(`\r\x1b[2K${line}`);
        shown = true;
      }
    : undefined;
  let result;
  try {
    result = await runDemo({
      phaseSeconds,
      print: (line) => io.stdout.write(`${line}\n`),
      ...(status !== undefined && { status }),
      signal: interrupted.signal,
    });
  } catch (error) {
    if (interrupted.signal.aborted) {
      io.stdout.write('Stopped; nothing is left running.\n');
      return ExitCode.interrupted;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (result.failed === 0 && result.strays === 0) {
    io.stdout.write('No request failed: every switch happened with zero downtime.\n');
    return ExitCode.ok;
  }
  io.stdout.write(
    `${result.failed} requests failed and ${result.strays} reached an old version after a switch. That is a bug; please report it.\n`,
  );
  return ExitCode.rolloutFailed;
}
