/**
 * Small schemas the spec format uses in many places: durations, names, ports,
 * counts and the "exactly one of these keys" shape of steps, metrics and
 * strategies. Messages for the common cases are written in ../zod-issues.ts;
 * the ones here are specific to one kind of value.
 */
import { z } from 'zod';
import { RESERVED_ENV_NAMES } from '../defaults.ts';
import { Duration, DURATION_HINT, DURATION_PATTERN } from '../duration.ts';
import { didYouMean } from '../did-you-mean.ts';

/**
 * For checks across fields: run them only when the fields themselves are
 * right. zod runs an object's refinements after non-fatal issues inside it
 * (a bad format, an unknown key), where they would report on values that are
 * already reported, or read values that are not what their type says.
 */
export const whenValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** A duration string: it must be non-empty, so the pattern's optional parts need a digit first. */
const NON_EMPTY_DURATION = new RegExp(`(?=\\d)${DURATION_PATTERN.source.slice(1, -1)}`);
export const DURATION_REGEX = new RegExp(`^${NON_EMPTY_DURATION.source}$`);

/**
 * The description of every duration field: the JSON Schema shows it to
 * editors, and the issue mapper recognises "a number where a duration
 * belongs" by it.
 */
export const DURATION_DESCRIPTION = 'a duration like 500ms, 30s, 5m or 1h';
const durationInput = z.string().describe(DURATION_DESCRIPTION);

/** Durations are whole milliseconds that a JavaScript number holds exactly. */
const LONGEST_DURATION = Duration.fromMs(Number.MAX_SAFE_INTEGER).toString();

export const duration = durationInput
  .regex(DURATION_REGEX, {
    error: (issue) => `${JSON.stringify(issue.input)} is not a duration; ${DURATION_HINT}.`,
  })
  .transform((text, ctx) => {
    // It matches the pattern, so only a length too large to count in milliseconds fails here.
    const parsed = Duration.tryParse(text);
    if (parsed !== undefined) return parsed.toString();
    ctx.issues.push({
      code: 'custom',
      input: text,
      params: { specCode: 'SPEC_INVALID_DURATION' },
      message: `${JSON.stringify(text)} is too long; the longest duration is ${LONGEST_DURATION}.`,
    });
    return z.NEVER;
  });

/** A duration that must be longer than zero (intervals, timeouts). */
export const positiveDuration = duration.refine((text) => (Duration.tryParse(text)?.ms ?? 1) > 0, {
  error: () => `must be longer than 0s; ${DURATION_HINT}.`,
  params: { specCode: 'SPEC_INVALID_DURATION' },
});

/** Service and environment names end up in DNS names, labels and file names. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const dnsLabel = (what: string) =>
  z.string().regex(DNS_LABEL, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a valid ${what}; use lowercase letters, digits and "-", start with a letter, at most 63 characters.`,
  });

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const envName = z.string().regex(ENV_NAME, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a valid environment variable name; use letters, digits and "_", not starting with a digit.`,
});

/** YAML reads `WORKERS: 4` as a number; an environment variable is a string either way. */
const envValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/**
 * Variables for instances: the top-level `env` and a container runtime's
 * `env`. Names Switchyard sets itself (RESERVED_ENV_NAMES) are refused.
 */
export const envVariables = z.record(envName, envValue).superRefine(
  (value, ctx) => {
    // Runs even when the base check failed (see `when`), so `value` may be anything.
    if (typeof value !== 'object' || value === null) return;
    const reserved: readonly string[] = RESERVED_ENV_NAMES;
    for (const name of Object.keys(value)) {
      if (!reserved.includes(name)) continue;
      ctx.addIssue({
        code: 'custom',
        path: [name],
        params: { specCode: 'SPEC_CONFLICT' },
        message: `${name} is set by Switchyard for every instance and cannot be set in env; remove it.`,
      });
    }
  },
  // Also when another variable has a bad name or value, so every error shows at once.
  { when: () => true },
);

export const port = z.number().int().min(1).max(65535);
export const count = z.number().int().min(0);
export const positiveCount = z.number().int().min(1);
export const command = z.string().min(1);

/** A count of instances (`1`) or a share of the replicas (`"25%"`). */
export const PERCENT = /^(100|[1-9]?[0-9])%$/;
export const countOrPercent = z
  .union([count, z.string().regex(PERCENT, { error: (issue) => `${JSON.stringify(issue.input)} is not a count or a percentage; write a whole number like 1 or a percentage like "25%".` })])
  .describe('a whole number like 1 or a percentage like "25%"');

/**
 * A mapping that must hold exactly one of `shape`'s keys: a canary step
 * (`setWeight` | `pause` | `analysis`), a metric, a strategy, a notification.
 * Written as one strict object rather than a union of objects, so a mistake
 * gets a precise message (unknown key with a suggestion, or the one wrong
 * field) instead of "matched none of the alternatives".
 */
export function exactlyOneOf<Shape extends z.ZodRawShape>(
  what: string,
  shape: Shape,
  options: { /** What to do when there are several. */ remedy: string },
) {
  const keys = Object.keys(shape);
  const optionalShape = Object.fromEntries(
    keys.map((key) => [key, (shape[key] as z.ZodType).optional()]),
  ) as unknown as { [K in keyof Shape]: z.ZodOptional<Shape[K]> };
  return z
    .strictObject(optionalShape)
    .meta({ minProperties: 1, maxProperties: 1 })
    .superRefine(
      (value, ctx) => {
      const present = keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
      if (present.length === 1) return;
      ctx.addIssue({
        code: 'custom',
        params: { specCode: present.length === 0 ? 'SPEC_REQUIRED' : 'SPEC_CONFLICT' },
        message:
          present.length === 0
            ? `a ${what} needs exactly one of ${listOr(keys)}.`
            : `a ${what} takes exactly one of ${listOr(keys)}, but this one has ${present.join(' and ')}; ${options.remedy}.`,
      });
      },
      // An unknown key already says what is wrong; "needs exactly one" on top would be noise.
      whenValid,
    );
}

/** `a, b or c` for messages. */
export function listOr(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** An enum whose message suggests the closest name. */
export function oneOfNames<const Names extends readonly [string, ...string[]]>(what: string, names: Names) {
  return z.enum(names, {
    error: (issue) => {
      const given = String(issue.input);
      if (issue.input === undefined) return undefined;
      const guess = didYouMean(given, names);
      return `${JSON.stringify(issue.input)} is not a ${what}; ${guess ? `did you mean "${guess}"? ` : ''}use one of ${listOr(names)}.`;
    },
  });
}
