/**
 * The CLI: parses flags with commander and hands each verb to its own file in
 * commands/. Verbs return their exit code; errors are reported in one place.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from '../errors.ts';
import { reportError } from './errors.ts';
import { processIO, type CliIO } from './io.ts';
import { validateCommand } from './commands/validate.ts';
import { initCommand } from './commands/init.ts';
import { routerCommand } from './commands/router.ts';
import { demoCommand } from './commands/demo.ts';
import { VERSION } from '../version.ts';

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const run =
    <T>(command: (options: T, io: CliIO) => Promise<number>) =>
    async (options: T) => {
      exitCode = await command(options, io);
    };

  const program = new Command('switchyard')
    .description('Zero-downtime blue/green, canary and rolling deployments for web services.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run `switchyard --help` for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  program
    .command('validate')
    .description('check the spec and print the resolved result')
    .option('-f, --file <file>', 'the spec file', 'switchyard.yaml')
    .option('--env <environment>', 'overlay this environment from `environments:`')
    .option('--json', 'print JSON instead of YAML')
    .action(run(validateCommand));

  program
    .command('init')
    .description('write a commented switchyard.yaml to start from')
    .option('-f, --file <file>', 'where to write it', 'switchyard.yaml')
    .option('--force', 'overwrite an existing file')
    .action(run(initCommand));

  program
    .command('router')
    .description('run the router (data plane) in the foreground; `up` starts it for you')
    .option('--state <dir>', 'state directory', '.switchyard')
    .addOption(
      new Option(
        '--admin-port <port>',
        'admin API on 127.0.0.1:PORT instead of a unix socket',
      ).argParser(parsePort),
    )
    .addOption(
      new Option(
        '--metrics-port <port>',
        'serve /metrics without auth on 127.0.0.1:PORT',
      ).argParser(parsePort),
    )
    .action(run(routerCommand));

  program
    .command('demo')
    .description('a self-contained showcase on the local runtime')
    .option('--duration <seconds>', 'how long each phase runs under load', '4')
    .action(run(demoCommand));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return ExitCode.ok;
      }
      return ExitCode.badInput;
    }
    return reportError(error, io);
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port; use a number from 1 to 65535.`);
  }
  return port;
}
