/**
 * Commands (promote, pause, resume, abort, rollback) are events on the
 * rollout: appending one is a single transaction, and the loop reads the
 * ones newer than the last it handled. The control plane never writes the
 * rollout row the loop owns, so no write of one side can undo the other's.
 */
import { COMMAND_NAMES } from '../rollout/strategy.ts';
import type { Command, CommandName } from '../rollout/strategy.ts';
import { Reason } from '../rollout/reasons.ts';
import type { Rollout, StateStore } from '../state/store.ts';
import { keyOf } from './rollout-data.ts';

export const COMMAND_EVENT = 'rollout.command';

export function recordCommand(
  store: StateStore,
  rollout: Rollout,
  command: { name: CommandName; requestedBy: string },
): void {
  store.appendEvent({
    ...keyOf(rollout),
    rolloutId: rollout.id,
    type: COMMAND_EVENT,
    reason: Reason.CommandRecorded,
    message: `${command.name} requested by ${command.requestedBy}.`,
    data: { command: command.name, requestedBy: command.requestedBy },
  });
}

export function pendingCommands(store: StateStore, rollout: Rollout, afterId: number): Command[] {
  return store
    .listEvents({ ...keyOf(rollout), rolloutId: rollout.id, afterId })
    .filter((event) => event.type === COMMAND_EVENT)
    .flatMap((event) => {
      const data = event.data as { command?: unknown; requestedBy?: unknown } | undefined;
      const name = COMMAND_NAMES.find((known) => known === data?.command);
      if (name === undefined) return [];
      return [{ id: event.id, name, requestedBy: String(data?.requestedBy ?? 'unknown') }];
    });
}
