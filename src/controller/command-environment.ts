/**
 * Where and with what environment the spec's own commands run (hooks, and
 * analysis `command` metrics): the inherited base (PATH, HOME, locale…), the
 * spec's env and secrets, and the rollout's SWITCHYARD_* variables — never
 * the daemon's whole environment.
 */
import { inheritedEnvironment } from '../runtime/inherited-environment.ts';
import { switchyardVariables, type ResolvedSpec } from '../spec/index.ts';
import type { Revision, Rollout } from '../state/store.ts';

export function rolloutCommandEnvironment(options: {
  readonly spec: ResolvedSpec;
  readonly secrets: Readonly<Record<string, string>>;
  readonly rollout: Pick<Rollout, 'service' | 'environment'>;
  readonly revision: Pick<Revision, 'number' | 'version'>;
}): Record<string, string | undefined> {
  const { rollout, revision } = options;
  return {
    ...inheritedEnvironment(),
    ...options.spec.env,
    ...options.secrets,
    ...switchyardVariables({ ...rollout, version: revision.version, revision: revision.number }),
  };
}

/** The process runtime's `cwd` when it has one, else the controller's own. */
export function commandCwd(spec: ResolvedSpec): string {
  return spec.runtime.type === 'process' && spec.runtime.cwd ? spec.runtime.cwd : process.cwd();
}
