/**
 * The real CLI held at a barrier: loads src/cli/main.ts (what
 * bin/switchyard.js runs), connects to the test's barrier port, and runs
 * `switchyard ARGS` the moment the test sends "go" to every contender.
 *
 *   node test/reliability/barrier-cli.ts PORT -- ARGS…
 */
import { connect } from 'node:net';
import { main } from '../../src/cli/main.ts';

const port = Number(process.argv[2]);
const args = process.argv.slice(process.argv.indexOf('--') + 1);

await new Promise<void>((resolve, reject) => {
  const socket = connect(port, '127.0.0.1');
  socket.once('error', reject);
  socket.once('data', () => {
    socket.destroy();
    resolve();
  });
});
process.exitCode = await main(args);
