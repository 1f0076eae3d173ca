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
import { upCommand } from './commands/up.ts';
import { downCommand } from './commands/down.ts';
import { deployCommand } from './commands/deploy.ts';
import { statusCommand } from './commands/status.ts';
import { promoteCommand } from './commands/promote.ts';
import { pauseCommand } from './commands/pause.ts';
import { resumeCommand } from './commands/resume.ts';
import { abortCommand } from './commands/abort.ts';
import { rollbackCommand } from './commands/rollback.ts';
import { historyCommand } from './commands/history.ts';
import { trafficCommand } from './commands/traffic.ts';
import { scaleCommand } from './commands/scale.ts';
import { logsCommand } from './commands/logs.ts';
import { cleanupCommand } from './commands/cleanup.ts';
import { lockReleaseCommand, lockStatusCommand } from './commands/lock.ts';
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
    // Program options only before the verb, so `deploy --version 1.2.3` is deploy's flag.
    .enablePositionalOptions()
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
    .command('up')
    .description('start the daemon (controller, router, control API) for .switchyard/ here')
    .option('--detach', 'run in the background and return once the API answers')
    .option('--state <dir>', 'state directory', '.switchyard')
    .addOption(
      new Option('--port <port>', 'API port on the host (default: a free one)').argParser(
        parsePort,
      ),
    )
    .option(
      '--host <host>',
      'API address (default 127.0.0.1; anything else exposes it, token still needed)',
    )
    .action(run(upCommand));

  program
    .command('down')
    .description('stop the daemon and its router')
    .option('--state <dir>', 'state directory (default: .switchyard/ found upward)')
    .option('--keep-router', 'leave the router running, serving traffic')
    .action(run(downCommand));

  program
    .command('deploy')
    .description('start a rollout of the spec here with the configured strategy')
    .option('-f, --file <file>', 'the spec file', 'switchyard.yaml')
    .option('--env <environment>', 'overlay this environment from `environments:`')
    .option('--version <version>', 'the version to deploy (default: the image tag)')
    .option('--image <image>', 'the image to run (container runtimes); its tag is the version')
    .option('--wait', 'follow the rollout; exit 0 when it succeeds, 1 when it does not')
    .option('--json', 'print JSON')
    .option('--state <dir>', 'state directory (default: .switchyard/ found upward)')
    .action(run(deployCommand));

  withTarget(program.command('status'))
    .description(
      'pools, weights, instances, health, current step (every service without a spec here)',
    )
    .option('--watch', 'redraw on every change until Ctrl-C')
    .option('--json', 'print JSON')
    .action(run(statusCommand));

  withTarget(program.command('promote'))
    .description('go on past a pause of the rollout in flight')
    .option('--full', 'skip the remaining steps and send all traffic now')
    .option('--json', 'print JSON')
    .action(run(promoteCommand));
  for (const [name, description, command] of [
    ['pause', 'hold the rollout at its current step', pauseCommand],
    ['resume', 'continue a paused rollout', resumeCommand],
    ['abort', 'stop the rollout; all traffic back to the stable pool', abortCommand],
  ] as const) {
    withTarget(program.command(name))
      .description(description)
      .option('--json', 'print JSON')
      .action(run(command));
  }

  withTarget(program.command('rollback'))
    .description('back to the previous (or named) revision')
    .addOption(new Option('--to <revision>', 'the revision number').argParser(wholeNumber(1)))
    .option('--json', 'print JSON')
    .action(run(rollbackCommand));

  withTarget(program.command('history'))
    .description('revisions with outcome and duration')
    .addOption(new Option('--limit <n>', 'at most this many').argParser(wholeNumber(1)))
    .option('--json', 'print JSON')
    .action(run(historyCommand));

  withTarget(program.command('traffic'))
    .description('set the split by hand, one weight per pool in the order status lists them')
    .requiredOption('--weights <weights>', 'e.g. 90:10')
    .option('--json', 'print JSON')
    .action(run(trafficCommand));

  withTarget(program.command('scale'))
    .description('instances per pool')
    .argument('<replicas>', 'a whole number from 1', wholeNumber(1))
    .option('--json', 'print JSON')
    .action(async (replicas: number, options: object) => {
      exitCode = await scaleCommand({ ...options, replicas }, io);
    });

  // `logs -f` follows, as in DESIGN.md (and tail, docker, kubectl); the spec is --file here.
  withTarget(program.command('logs'), { shortFile: false })
    .description('instance logs')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--instance <id>', 'one instance')
    .addOption(new Option('--tail <n>', 'lines from the end').argParser(wholeNumber(0)))
    .option('--json', 'print JSON lines')
    .action(run(logsCommand));

  withTarget(program.command('cleanup'))
    .description('remove old pools and their instances; asks first unless --yes')
    .option('--yes', 'do not ask')
    .option('--json', 'print JSON')
    .action(run(cleanupCommand));

  const lock = program.command('lock').description('the deploy lock');
  withTarget(lock.command('status'))
    .description('holder, since, reason')
    .option('--json', 'print JSON')
    .action(run(lockStatusCommand));
  withTarget(lock.command('release'))
    .description('release the deploy lock')
    .option('--force', 'release it even if someone else holds it')
    .option('--json', 'print JSON')
    .action(run(lockReleaseCommand));

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

/** The flags every client verb shares: which service, which environment, which daemon. */
function withTarget(command: Command, options: { shortFile?: boolean } = {}): Command {
  return command
    .option(
      options.shortFile === false ? '--file <file>' : '-f, --file <file>',
      'the spec that names the service (default switchyard.yaml)',
    )
    .option('--env <environment>', 'the environment (default "default")')
    .option('--service <name>', 'act on this service, without a spec')
    .option('--state <dir>', 'state directory (default: .switchyard/ found upward)');
}

function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(number) || number < min) {
      throw new InvalidArgumentError(`"${value}" is not a whole number from ${min}.`);
    }
    return number;
  };
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port; use a number from 1 to 65535.`);
  }
  return port;
}
