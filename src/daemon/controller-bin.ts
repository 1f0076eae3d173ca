/**
 * Runs a controller as its own process on a state directory:
 *   node src/daemon/controller-bin.ts --state DIR [--holder ID] [--tick-ms N]
 * It uses the router running there (or starts one). SIGTERM or SIGINT stops
 * the loop cleanly; SIGKILL leaves the router and every instance running,
 * and the next controller resumes from the store.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { isSwitchyardError } from '../errors.ts';
import { startController } from './start-controller.ts';

const USAGE = 'Usage: controller --state DIR [--holder ID] [--tick-ms N]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      state: { type: 'string' },
      holder: { type: 'string' },
      'tick-ms': { type: 'string' },
    },
    strict: true,
  });
  if (values.state === undefined) {
    process.stderr.write(`The controller needs --state DIR.\n${USAGE}\n`);
    return 2;
  }
  const logger = pino({ name: 'switchyard-controller' }, pino.destination(2));
  const running = await startController({
    stateDir: values.state,
    logger,
    ...(values.holder !== undefined && { holderId: values.holder }),
    ...(values['tick-ms'] !== undefined && { tickMs: Number(values['tick-ms']) }),
  });
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await running.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${isSwitchyardError(error) ? error.message : String((error as Error).stack ?? error)}\n`,
    );
    process.exit(isSwitchyardError(error) ? error.exitCode : 1);
  },
);
