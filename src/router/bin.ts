/**
 * Runs the router process directly:
 *   node src/router/bin.ts --state DIR [--admin-socket PATH | --admin-port N [--admin-host H]]
 *                          [--metrics-port N] [--token-file PATH] [--window-seconds N]
 * The token is read from a file, never taken on the command line, where
 * other users could see it in the process list.
 */
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ExitCode, SwitchyardError, isSwitchyardError } from '../errors.ts';
import { runRouterProcess, type RouterProcessOptions } from './main.ts';

const USAGE =
  'Usage: router --state DIR [--admin-socket PATH | --admin-port N [--admin-host 127.0.0.1]] [--metrics-port N] [--token-file PATH] [--window-seconds N]';

async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        state: { type: 'string' },
        'admin-socket': { type: 'string' },
        'admin-port': { type: 'string' },
        'admin-host': { type: 'string' },
        'metrics-port': { type: 'string' },
        'token-file': { type: 'string' },
        'window-seconds': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new SwitchyardError('USAGE', `${(error as Error).message}.\n${USAGE}`);
  }
  if (!values.state)
    throw new SwitchyardError(
      'USAGE',
      `The router needs --state DIR, the Switchyard state directory.\n${USAGE}`,
    );

  const options: RouterProcessOptions = {
    stateDir: values.state,
    adminSocket: values['admin-socket'],
    adminPort: optionalInt(values['admin-port'], '--admin-port', { min: 0, max: 65535 }),
    adminHost: values['admin-host'],
    metricsPort: optionalInt(values['metrics-port'], '--metrics-port', { min: 0, max: 65535 }),
    windowSeconds: optionalInt(values['window-seconds'], '--window-seconds', { min: 1, max: 3600 }),
    token: values['token-file']
      ? (await fs.readFile(values['token-file'], 'utf8')).trim()
      : undefined,
  };
  return runRouterProcess(options);
}

function optionalInt(
  value: string | undefined,
  flag: string,
  range: { min: number; max: number },
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < range.min || number > range.max)
    throw new SwitchyardError(
      'USAGE',
      `${flag} must be a whole number from ${range.min} to ${range.max}, not "${value}".`,
    );
  return number;
}

main(process.argv.slice(2)).then(
  // Exit explicitly: keep-alive sockets to instances must not hold the process open.
  (code) => process.exit(code),
  (error: unknown) => {
    if (isSwitchyardError(error)) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(
      `error: the router failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(ExitCode.rolloutFailed);
  },
);
