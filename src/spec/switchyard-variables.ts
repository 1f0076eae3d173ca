/**
 * The SWITCHYARD_* variables (DESIGN.md) in one place: every instance gets
 * them, and so do the spec's own commands (hooks, analysis checks), each with
 * the parts it knows — a hook runs for a rollout, not for one pool or
 * instance. Names of the parts not given are left out.
 */
export interface SwitchyardIdentity {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly revision: number;
  readonly pool?: string;
  readonly instance?: string;
  /** Analysis checks only: the pool the canary is compared with ('' when none). */
  readonly stablePool?: string;
}

export function switchyardVariables(identity: SwitchyardIdentity): Record<string, string> {
  return {
    SWITCHYARD_SERVICE: identity.service,
    SWITCHYARD_ENV: identity.environment,
    SWITCHYARD_VERSION: identity.version,
    SWITCHYARD_REVISION: String(identity.revision),
    ...(identity.pool !== undefined && { SWITCHYARD_POOL: identity.pool }),
    ...(identity.instance !== undefined && { SWITCHYARD_INSTANCE: identity.instance }),
    ...(identity.stablePool !== undefined && { SWITCHYARD_STABLE_POOL: identity.stablePool }),
  };
}
