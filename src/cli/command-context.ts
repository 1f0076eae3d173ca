/**
 * What most verbs start with: the daemon's client and the service+environment
 * they act on (from the spec here, `-f`, `--env`, `--service`).
 */
import type { RolloutView } from '../controller/control-plane.ts';
import type { ServiceEnv } from '../state/store.ts';
import { connect, type ApiClient } from './client/api-client.ts';
import type { CliIO } from './io.ts';
import { resolveTarget, type TargetOptions } from './target.ts';

export interface ClientOptions extends TargetOptions {
  /** The daemon's state directory, instead of the `.switchyard/` found upward. */
  readonly state?: string;
}

export interface CommandContext {
  readonly client: ApiClient;
  readonly key: ServiceEnv;
}

export async function commandContext(options: ClientOptions, io: CliIO): Promise<CommandContext> {
  const client = await connect(io, {
    ...(options.state !== undefined && { stateDir: options.state }),
  });
  const key = await resolveTarget(options, io);
  return { client, key };
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `shop/default: rollout 12 (2.0.0) is paused — waiting for promote` */
export function rolloutSentence(rollout: RolloutView): string {
  return `${rollout.service}/${rollout.environment}: rollout ${rollout.id} (${rollout.version}) is ${rollout.status} — ${rollout.stepDescription}`;
}
