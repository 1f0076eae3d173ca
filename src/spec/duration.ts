/**
 * A length of time as the spec writes it (DESIGN.md: durations are strings
 * such as `500ms`, `30s`, `5m`, `1h` or `1m30s`). The value object checks its
 * invariant (a whole, non-negative number of milliseconds) at construction,
 * so code holding a Duration never has to re-check it.
 */
import { SwitchyardError } from '../errors.ts';

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
/** Largest unit first: the order parts must be written in, and printed in. */
const UNITS_DESCENDING: readonly Unit[] = ['h', 'm', 's', 'ms'];

/**
 * One or more `<digits><unit>` parts, largest unit first, each unit at most
 * once. Exported so the zod schema and the JSON Schema use the same rule.
 */
export const DURATION_PATTERN = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** How a duration is described to users in error messages. */
export const DURATION_HINT = 'write it like 500ms, 30s, 5m or 1h';

/** A duration string in canonical form, as the resolved spec stores it. */
export type DurationString = string & { readonly __brand: 'DurationString' };

export class Duration {
  readonly ms: number;

  constructor(ms: number) {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(
        `A duration is a whole, non-negative number of milliseconds, not ${ms}.`,
      );
    }
    this.ms = ms;
  }

  static fromMs(ms: number): Duration {
    return new Duration(ms);
  }

  /** The Duration a string names, or undefined when it is not a duration. */
  static tryParse(text: string): Duration | undefined {
    const match = DURATION_PATTERN.exec(text);
    // The pattern's groups are all optional, so the empty string matches it too.
    if (match === null || text === '') return undefined;
    let ms = 0;
    UNITS_DESCENDING.forEach((unit, index) => {
      const digits = match[index + 1];
      if (digits !== undefined) ms += Number(digits) * UNIT_MS[unit];
    });
    return Number.isSafeInteger(ms) ? new Duration(ms) : undefined;
  }

  /** Parses a duration string; throws SPEC_INVALID_DURATION when it is not one. */
  static parse(text: unknown): Duration {
    if (typeof text === 'string') {
      const duration = Duration.tryParse(text);
      if (duration !== undefined) return duration;
    }
    const shown = typeof text === 'string' ? `"${text}"` : String(text);
    throw new SwitchyardError(
      'SPEC_INVALID_DURATION',
      `${shown} is not a duration; ${DURATION_HINT}.`,
    );
  }

  /** Canonical form: largest units first, zero parts left out (`90000` → `1m30s`). */
  toString(): DurationString {
    if (this.ms === 0) return '0s' as DurationString;
    let rest = this.ms;
    let text = '';
    for (const unit of UNITS_DESCENDING) {
      const count = Math.floor(rest / UNIT_MS[unit]);
      if (count > 0) text += `${count}${unit}`;
      rest -= count * UNIT_MS[unit];
    }
    return text as DurationString;
  }

  toJSON(): string {
    return this.toString();
  }

  equals(other: Duration): boolean {
    return this.ms === other.ms;
  }
}

/** Milliseconds of a duration string from the resolved spec. */
export function durationMs(text: DurationString | string): number {
  return Duration.parse(text).ms;
}
