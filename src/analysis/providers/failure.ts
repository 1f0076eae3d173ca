/**
 * How providers say what went wrong. A provider never throws: whatever fails
 * becomes an `error` Observation whose message names what failed and where,
 * so the judge can count it and the rollout's events can show it.
 */
import type { Observation } from '../types.ts';

export function errorObservation(message: string): Observation {
  return { kind: 'error', message };
}

/**
 * The cause of a failure in a few words, for the middle of a sentence: a
 * system error's code (ECONNREFUSED), else the message without its final
 * full stop.
 */
export function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  return message.replace(/\.$/, '');
}
