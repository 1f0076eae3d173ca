/**
 * Where and with what environment the spec's own commands run (hooks, and
 * analysis `command` metrics): the inherited base (PATH, HOME, locale…), the
 * spec's env and secrets, and the rollout's SWITCHYARD_* variables — never
 * the daemon's whole environment.
 */
import { inheritedEnvironment } from '../runtime/inherited-environment.ts';
import type { ResolvedSpec } from '../spec/index.ts';

export function rolloutCommandEnvironment(options: {
  readonly spec: ResolvedSpec;
  readonly secrets: Readonly<Record<string, string>>;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly revision: number;
}): Record<string, string | undefined> {
  return {
    ...inheritedEnvironment(),
    ...options.spec.env,
    ...options.secrets,
    SWITCHYARD_SERVICE: options.service,
    SWITCHYARD_ENV: options.environment,
    SWITCHYARD_VERSION: options.version,
    SWITCHYARD_REVISION: String(options.revision),
  };
}

/** The process runtime's `cwd` when it has one, else the controller's own. */
export function commandCwd(spec: ResolvedSpec): string {
  return spec.runtime.type === 'process' && spec.runtime.cwd ? spec.runtime.cwd : process.cwd();
}
