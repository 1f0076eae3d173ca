/** `switchyard logs [-f] [--instance ID] [--tail N] [--json]`: instance logs, `instance | line`. */
import { ExitCode } from '../../errors.ts';
import { commandContext, type ClientOptions } from '../command-context.ts';
import type { CliIO } from '../io.ts';

export interface LogsOptions extends ClientOptions {
  readonly follow?: boolean;
  readonly instance?: string;
  readonly tail?: number;
  readonly json?: boolean;
  /** Ends `-f` (tests); Ctrl-C otherwise. */
  readonly signal?: AbortSignal;
}

export async function logsCommand(options: LogsOptions, io: CliIO): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const query = {
    ...(options.instance !== undefined && { instance: options.instance }),
    ...(options.tail !== undefined && { tail: options.tail }),
  };
  const print = (line: { instanceId: string; line: string }) =>
    io.stdout.write(
      options.json ? `${JSON.stringify(line)}\n` : `${line.instanceId} | ${line.line}\n`,
    );
  if (!options.follow) {
    for (const line of await client.logs(key, query)) print(line);
    return ExitCode.ok;
  }
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  options.signal?.addEventListener('abort', onSigint, { once: true });
  try {
    for await (const line of client.followLogs(key, { ...query, signal: stop.signal })) print(line);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  return ExitCode.ok;
}
