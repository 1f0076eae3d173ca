/**
 * `switchyard deploy [-f F] [--env E] [--version V] [--image I] [--wait] [--json]`:
 * reads and resolves the spec here (so a bad spec fails before anything is
 * sent), then asks the daemon to roll out that spec with the version
 * (DESIGN.md, Revisions). `--wait` follows the rollout and exits 0 when it
 * succeeds, 1 when it fails, is aborted or rolled back.
 */
import { ExitCode } from '../../errors.ts';
import { loadSpec } from '../../spec/index.ts';
import { connect } from '../client/api-client.ts';
import { printJson, rolloutSentence } from '../command-context.ts';
import { deployVersion, withImage } from '../deploy-version.ts';
import { followRollout } from '../follow-rollout.ts';
import type { CliIO } from '../io.ts';
import { DEFAULT_SPEC_FILE } from './validate.ts';

export interface DeployOptions {
  readonly file?: string;
  readonly env?: string;
  readonly version?: string;
  readonly image?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
  readonly state?: string;
}

export async function deployCommand(options: DeployOptions, io: CliIO): Promise<number> {
  const loaded = await loadSpec({
    file: options.file ?? DEFAULT_SPEC_FILE,
    cwd: io.cwd,
    env: io.env,
    environment: options.env,
  });
  const spec = options.image === undefined ? loaded : withImage(loaded, options.image);
  const version = deployVersion({ version: options.version, image: options.image, spec });
  const client = await connect(io, {
    ...(options.state !== undefined && { stateDir: options.state }),
  });
  const key = { service: spec.service, environment: spec.environment };
  const rollout = await client.deploy({ ...key, version, spec });
  if (!options.wait) {
    if (options.json) printJson(io, rollout);
    else
      io.stdout.write(
        `Deploying ${version} as revision ${rollout.revision}. ${rolloutSentence(rollout)}\nFollow it with \`switchyard status --watch\`${options.env ? ` --env ${options.env}` : ''}.\n`,
      );
    return ExitCode.ok;
  }
  if (!options.json)
    io.stdout.write(
      `Deploying ${version} as revision ${rollout.revision} (rollout ${rollout.id}).\n`,
    );
  return followRollout({ client, key, rolloutId: rollout.id, io, json: options.json ?? false });
}
