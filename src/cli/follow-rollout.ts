/**
 * `deploy --wait`: follows one rollout through the event stream until it
 * ends. On a terminal, a live block (step, health x/y, weights) redrawn in
 * place; otherwise one plain line per event. Status is read again on every
 * event of the rollout, and every few seconds in case the stream is quiet,
 * so nothing depends on which events the controller emits.
 */
import type { RolloutView, ServiceStatus } from '../controller/control-plane.ts';
import { ExitCode } from '../errors.ts';
import { isFinal } from '../state/sqlite/rollout-table.ts';
import type { ServiceEnv } from '../state/store.ts';
import type { ApiClient } from './client/api-client.ts';
import { printJson } from './command-context.ts';
import type { CliIO } from './io.ts';
import { eventLine } from './render/event-line.ts';
import { LiveView } from './render/live-view.ts';
import { healthText, weightsText } from './render/status-text.ts';
import { WakeUp } from './wake-up.ts';

/** How often status is read when no event arrives. */
export const REFRESH_MS = 2000;

export interface FollowRolloutOptions {
  readonly client: ApiClient;
  readonly key: ServiceEnv;
  readonly rolloutId: number;
  readonly io: CliIO;
  readonly json: boolean;
}

export async function followRollout(options: FollowRolloutOptions): Promise<number> {
  const { client, key, rolloutId, io } = options;
  const live = io.stdout.isTTY && !options.json ? new LiveView(io.stdout) : undefined;
  const plain = !live && !options.json;
  const wake = new WakeUp();
  const stop = new AbortController();
  let streamError: unknown;

  const pump = (async () => {
    for await (const event of client.events({ ...key, signal: stop.signal })) {
      if (event.rolloutId !== rolloutId) continue;
      if (plain) io.stdout.write(`${eventLine(event)}\n`);
      wake.notify();
    }
  })().catch((error: unknown) => {
    streamError = error;
    wake.notify();
  });
  const timer = setInterval(() => wake.notify(), REFRESH_MS);
  // Ctrl-C stops following, not the rollout: it is the controller's and goes
  // on; the command says so and how to steer it, and exits 130.
  let sigint = false;
  const onSigint = () => {
    sigint = true;
    wake.notify();
  };
  process.once('SIGINT', onSigint);

  try {
    for (;;) {
      if (sigint) return interrupted(options);
      const status = await client.status(key);
      const rollout = await rolloutOf(client, key, status, rolloutId);
      if (live && status.rollout?.id === rolloutId)
        live.render(progressLines(status, status.rollout));
      if (rollout && isFinal(rollout.status)) return finish(rollout, options);
      if (streamError !== undefined) throw streamError;
      await wake.wait();
    }
  } finally {
    clearInterval(timer);
    process.removeListener('SIGINT', onSigint);
    stop.abort();
    await pump;
  }
}

function interrupted(options: FollowRolloutOptions): number {
  const { io, key, rolloutId } = options;
  const target = key.environment === 'default' ? '' : ` --env ${key.environment}`;
  io.stderr.write(
    `\nStopped following rollout ${rolloutId}; it goes on in the controller. Follow it again with \`switchyard status --watch${target}\`, or stop it with \`switchyard abort${target}\`.\n`,
  );
  return ExitCode.interrupted;
}

/** Our rollout: the one status shows, or (once a newer one started) ours from history. */
async function rolloutOf(
  client: ApiClient,
  key: ServiceEnv,
  status: ServiceStatus,
  rolloutId: number,
): Promise<
  RolloutView | Pick<RolloutView, 'id' | 'status' | 'message' | 'version' | 'revision'> | undefined
> {
  if (status.rollout?.id === rolloutId) return status.rollout;
  if (status.rollout && status.rollout.id < rolloutId) return undefined;
  const entry = (await client.history(key, 50)).find((h) => h.rollout?.id === rolloutId);
  if (!entry?.rollout) return undefined;
  return { ...entry.rollout, version: entry.revision.version, revision: entry.revision.number };
}

export function progressLines(status: ServiceStatus, rollout: RolloutView): string[] {
  return [
    `${status.service}/${status.environment}: rollout ${rollout.id} of ${rollout.version} (revision ${rollout.revision}, ${rollout.strategy})`,
    `  status   ${rollout.status}`,
    `  step     ${rollout.step}: ${rollout.stepDescription}`,
    `  health   ${status.pools.map((pool) => `${pool.name} ${healthText(pool)}`).join(' · ') || 'no instances yet'}`,
    `  weights  ${weightsText(status.pools)}`,
  ];
}

function finish(
  rollout: Pick<RolloutView, 'id' | 'status' | 'message' | 'version' | 'revision'>,
  options: FollowRolloutOptions,
): number {
  const { io, key } = options;
  if (options.json) {
    printJson(io, rollout);
  } else if (rollout.status === 'succeeded') {
    io.stdout.write(
      `Rollout ${rollout.id} succeeded: ${key.service}/${key.environment} runs ${rollout.version} (revision ${rollout.revision}).\n`,
    );
  } else {
    io.stdout.write(
      `Rollout ${rollout.id} ended ${rollout.status}${rollout.message ? `: ${rollout.message}` : '.'}\n`,
    );
  }
  return rollout.status === 'succeeded' ? ExitCode.ok : ExitCode.rolloutFailed;
}
