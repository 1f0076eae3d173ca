/**
 * `switchyard cleanup [--yes]`: remove old pools and their instances. It
 * shows the plan first and asks y/N on a terminal; without a terminal to ask
 * on it refuses unless --yes, so a script never removes things by accident.
 */
import { createInterface } from 'node:readline/promises';
import type { CleanupPlan } from '../../controller/control-plane.ts';
import { ExitCode, SwitchyardError } from '../../errors.ts';
import { commandContext, printJson, type ClientOptions } from '../command-context.ts';
import type { CliIO } from '../io.ts';

export interface CleanupOptions extends ClientOptions {
  readonly yes?: boolean;
  readonly json?: boolean;
}

export async function cleanupCommand(options: CleanupOptions, io: CliIO): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const plan = await client.cleanup(key, false);
  if (plan.pools.length === 0) {
    if (options.json) printJson(io, { removed: plan });
    else io.stdout.write(`${key.service}/${key.environment}: nothing to clean up.\n`);
    return ExitCode.ok;
  }
  if (!options.json) io.stdout.write(planText(plan));
  if (!options.yes) {
    if (!io.stdin.isTTY) {
      throw new SwitchyardError(
        'USAGE',
        'cleanup removes the pools above, and there is no terminal to ask on; run `switchyard cleanup --yes` to remove them.',
      );
    }
    if (!(await confirm(io, 'Remove them? [y/N] '))) {
      io.stdout.write('Nothing removed.\n');
      return ExitCode.ok;
    }
  }
  const removed = await client.cleanup(key, true);
  if (options.json) printJson(io, { removed });
  else
    io.stdout.write(
      `Removed ${removed.pools.length} pool${removed.pools.length === 1 ? '' : 's'}.\n`,
    );
  return ExitCode.ok;
}

function planText(plan: CleanupPlan): string {
  const lines = ['cleanup would remove:'];
  for (const pool of plan.pools) {
    lines.push(
      `  pool ${pool.name} (revision ${pool.revision}): ${pool.instances.length} instance${pool.instances.length === 1 ? '' : 's'}${pool.instances.length > 0 ? ` — ${pool.instances.join(', ')}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function confirm(io: CliIO, question: string): Promise<boolean> {
  const prompt = createInterface({ input: io.stdin, output: io.stdout as NodeJS.WritableStream });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
