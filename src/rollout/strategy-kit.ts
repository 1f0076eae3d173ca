/**
 * Small pieces every strategy needs, so blue/green, canary and rolling read
 * observations and commands the same way.
 */
import type { Command, Observations } from './strategy.ts';

/** Instances of one pool's revision; with `healthyOnly`, only wanted ones passing health checks. */
export function countInstances(
  observations: Observations,
  pool: string,
  revision: number,
  healthyOnly: boolean,
): number {
  return observations.instances.filter(
    (instance) =>
      instance.pool === pool &&
      instance.revision === revision &&
      (!healthyOnly || (instance.desired && instance.healthy)),
  ).length;
}

/**
 * The commands newer than the state's `lastCommandId`, folded into the state
 * in order by `fold`; the caller acts on the returned ones that need more
 * than a state change (abort, rollback).
 */
export function takeCommands<S extends { readonly lastCommandId: number }>(
  state: S,
  commands: readonly Command[],
  fold: (state: S, command: Command) => S,
): { state: S; commands: readonly Command[] } {
  const fresh = commands.filter((command) => command.id > state.lastCommandId);
  if (fresh.length === 0) return { state, commands: [] };
  let next: S = { ...state, lastCommandId: Math.max(...fresh.map((command) => command.id)) };
  for (const command of fresh) next = fold(next, command);
  return { state: next, commands: fresh };
}

/** The pool a new revision starts in: whichever of blue and green is not live. */
export function newPoolName(live: string | undefined): string {
  return live === 'blue' ? 'green' : 'blue';
}
