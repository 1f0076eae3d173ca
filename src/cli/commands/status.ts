/**
 * `switchyard status [--env E] [--watch] [--json]`: pools, weights,
 * instances, health and the current step of the service in this folder's
 * spec; where there is no switchyard.yaml (and no -f/--service), every
 * service the daemon knows. `--watch` redraws on every event until Ctrl-C.
 */
import { ExitCode } from '../../errors.ts';
import type { ServiceEnv } from '../../state/store.ts';
import { connect, type ApiClient } from '../client/api-client.ts';
import { printJson, type ClientOptions } from '../command-context.ts';
import { REFRESH_MS } from '../follow-rollout.ts';
import type { CliIO } from '../io.ts';
import { LiveView } from '../render/live-view.ts';
import { servicesLines, statusLines } from '../render/status-text.ts';
import { hasSpec, resolveTarget } from '../target.ts';
import { WakeUp } from '../wake-up.ts';

export interface StatusOptions extends ClientOptions {
  readonly json?: boolean;
  readonly watch?: boolean;
  /** Ends `--watch` (tests); Ctrl-C otherwise. */
  readonly signal?: AbortSignal;
}

export async function statusCommand(options: StatusOptions, io: CliIO): Promise<number> {
  const client = await connect(io, {
    ...(options.state !== undefined && { stateDir: options.state }),
  });
  const key = (await hasSpec(options, io)) ? await resolveTarget(options, io) : undefined;
  const read = async (): Promise<{ json: unknown; lines: string[] }> => {
    if (!key) {
      const services = await client.services();
      return { json: { services }, lines: servicesLines(services) };
    }
    const status = await client.status(key);
    return { json: status, lines: statusLines(status) };
  };
  if (!options.watch) {
    const { json, lines } = await read();
    if (options.json) printJson(io, json);
    else io.stdout.write(`${lines.join('\n')}\n`);
    return ExitCode.ok;
  }
  return watch({ client, key, io, read, json: options.json ?? false, signal: options.signal });
}

async function watch(options: {
  client: ApiClient;
  key: ServiceEnv | undefined;
  io: CliIO;
  read: () => Promise<{ json: unknown; lines: string[] }>;
  json: boolean;
  signal: AbortSignal | undefined;
}): Promise<number> {
  const { io } = options;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  options.signal?.addEventListener('abort', onSigint, { once: true });
  const wake = new WakeUp();
  stop.signal.addEventListener('abort', () => wake.notify(), { once: true });
  const pump = (async () => {
    for await (const _event of options.client.events({ ...options.key, signal: stop.signal }))
      wake.notify();
  })().catch(() => wake.notify());
  const timer = setInterval(() => wake.notify(), REFRESH_MS);
  const live = io.stdout.isTTY && !options.json ? new LiveView(io.stdout) : undefined;
  let last = '';
  try {
    while (!stop.signal.aborted) {
      const { json, lines } = await options.read();
      const text = options.json ? JSON.stringify(json) : lines.join('\n');
      if (text !== last) {
        if (live) live.render(lines);
        else io.stdout.write(`${text}\n${options.json ? '' : '\n'}`);
        last = text;
      }
      await wake.wait();
    }
    return ExitCode.ok;
  } finally {
    clearInterval(timer);
    process.removeListener('SIGINT', onSigint);
    stop.abort();
    await pump;
  }
}
