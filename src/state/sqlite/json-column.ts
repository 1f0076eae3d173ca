import { SwitchyardError } from '../../errors.ts';

/** JSON for a TEXT column. Throws (TypeError) on a BigInt or a circular value. */
export function toJsonColumn(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Reads a JSON column back; a value that does not parse means the file was damaged. */
export function fromJsonColumn<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new SwitchyardError(
      'STATE_CORRUPT',
      `The state database holds invalid JSON in ${where}. Restore the state folder from a backup.`,
      { cause: error },
    );
  }
}
