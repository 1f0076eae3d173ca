/**
 * Small pieces every strategy needs, so blue/green, canary and rolling read
 * observations and commands the same way.
 */
import type { Mark } from './outcome.ts';
import { Reason } from './reasons.ts';
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

/** Commands taken on one step: the state with them folded in, and the first abort or rollback. */
export interface TakenCommands<S> {
  readonly state: S;
  /** The commands newer than the state's `lastCommandId`, oldest first. */
  readonly commands: readonly Command[];
  /** The first abort or rollback among them: it needs more than a state change. */
  readonly halt: Command | undefined;
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
): TakenCommands<S> {
  const fresh = commands.filter((command) => command.id > state.lastCommandId);
  if (fresh.length === 0) return { state, commands: [], halt: undefined };
  let next: S = { ...state, lastCommandId: Math.max(...fresh.map((command) => command.id)) };
  for (const command of fresh) next = fold(next, command);
  const halt = fresh.find((command) => command.name === 'abort' || command.name === 'rollback');
  return { state: next, commands: fresh, halt };
}

/**
 * The event for an abort or rollback the rollout can no longer act on:
 * `tooLate` says why (the old pool is already stopping), null when the
 * rollout is simply ending.
 */
export function haltIgnored(command: Command, tooLate: string | null): Mark {
  return {
    reason: Reason.CommandIgnored,
    message:
      tooLate === null
        ? `${command.name} ignored: the rollout is already ending.`
        : `${command.name} came too late: ${tooLate}. Run \`switchyard rollback\` for a new rollout of the previous revision.`,
  };
}

/** The pool a new revision starts in: whichever of blue and green is not live. */
export function newPoolName(live: string | undefined): string {
  return live === 'blue' ? 'green' : 'blue';
}
