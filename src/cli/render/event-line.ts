import type { StoredEvent } from '../../state/store.ts';

/** One event as a plain line, for output that is not a terminal: `12:00:03 Reason: message`. */
export function eventLine(event: StoredEvent): string {
  const time = event.at.length >= 19 ? event.at.slice(11, 19) : event.at;
  return `${time} ${event.service}/${event.environment} ${event.reason}: ${event.message}`;
}
