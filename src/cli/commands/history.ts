/** `switchyard history [--limit N] [--json]`: revisions, newest first, with outcome and duration. */
import type { HistoryEntry } from '../../controller/control-plane.ts';
import { ExitCode } from '../../errors.ts';
import { commandContext, printJson, type ClientOptions } from '../command-context.ts';
import type { CliIO } from '../io.ts';

export interface HistoryOptions extends ClientOptions {
  readonly json?: boolean;
  readonly limit?: number;
}

export async function historyCommand(options: HistoryOptions, io: CliIO): Promise<number> {
  const { client, key } = await commandContext(options, io);
  const entries = await client.history(key, options.limit);
  if (options.json) {
    printJson(io, entries);
    return ExitCode.ok;
  }
  if (entries.length === 0) {
    io.stdout.write(`${key.service}/${key.environment} has no revisions yet.\n`);
    return ExitCode.ok;
  }
  io.stdout.write(`${['REV', 'VERSION', 'OUTCOME', 'DURATION', 'CREATED', 'BY'].join('\t')}\n`);
  for (const entry of entries) {
    io.stdout.write(`${historyRow(entry).join('\t')}\n`);
    // The verdict of each analysis, under its revision: why a canary was aborted.
    for (const run of entry.analysis) {
      io.stdout.write(`\tanalysis ${run.template}: ${run.verdict} — ${run.message}\n`);
    }
  }
  return ExitCode.ok;
}

function historyRow(entry: HistoryEntry): string[] {
  return [
    String(entry.revision.number),
    entry.revision.version,
    entry.outcome,
    entry.durationMs === null ? '-' : `${(entry.durationMs / 1000).toFixed(1)}s`,
    entry.revision.createdAt,
    entry.revision.createdBy,
  ];
}
