/**
 * Runs a zod schema and turns what it finds into spec errors: a stable code,
 * the path, whether the key or the value is at fault, and a sentence that
 * says what to do. zod's finished issues lose the schema that raised them,
 * which the sentences need (the keys an object accepts, for "did you mean";
 * the field's description), so the raw issues are captured through zod's
 * per-parse `error` callback and tied back to the finished ones by a token.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.ts';
import { didYouMean } from './did-you-mean.ts';
import { DURATION_HINT } from './duration.ts';
import { DURATION_DESCRIPTION, DURATION_REGEX, listOr } from './schema/primitives.ts';
import type { PathSegment } from './spec-error.ts';

export interface PathIssue {
  readonly code: ErrorCode;
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** Point at the key (an unknown key) or at its value. */
  readonly at: 'key' | 'value';
}

export type CheckResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly PathIssue[] };

type RawIssue = z.core.$ZodRawIssue & { readonly inst?: unknown };
type FinalIssue = z.core.$ZodIssue;

/** A character that cannot appear in a message we write, marking "see raw issue N". */
const TOKEN = '\u0000';

export function checkWithSchema<Schema extends z.ZodType>(
  schema: Schema,
  data: unknown,
): CheckResult<z.output<Schema>> {
  const raw: RawIssue[] = [];
  const result = schema.safeParse(data, {
    reportInput: true,
    error: (issue) => {
      raw.push(issue as RawIssue);
      return `${TOKEN}${raw.length - 1}`;
    },
  });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.flatMap((issue) => mapIssue(issue, [], raw)) };
}

function rawOf(issue: { message: string }, raw: readonly RawIssue[]): RawIssue | undefined {
  return issue.message.startsWith(TOKEN) ? raw[Number(issue.message.slice(1))] : undefined;
}

/** The message a schema wrote itself, if it did. */
function ownMessage(issue: { message: string }): string | undefined {
  return issue.message.startsWith(TOKEN) ? undefined : issue.message;
}

function descriptionOf(inst: unknown): string | undefined {
  return inst instanceof z.ZodType ? z.globalRegistry.get(inst)?.description : undefined;
}

function mapIssue(
  issue: FinalIssue,
  prefix: readonly PathSegment[],
  raw: readonly RawIssue[],
): PathIssue[] {
  const path: PathSegment[] = [...prefix, ...(issue.path as PathSegment[])];
  const source = rawOf(issue, raw);
  const own = ownMessage(issue);
  const hint = descriptionOf(source?.inst);
  const input = (issue as { input?: unknown }).input;
  const value = (code: ErrorCode, message: string): PathIssue[] => [
    { code, path, message, at: 'value' },
  ];

  switch (issue.code) {
    case 'custom': {
      const specCode = (issue.params as { specCode?: ErrorCode } | undefined)?.specCode;
      return value(specCode ?? 'SPEC_INVALID_VALUE', own ?? 'this value is not valid here.');
    }
    case 'unrecognized_keys': {
      const shape = (source?.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def
        ?.shape;
      const known = shape ? Object.keys(shape) : [];
      return issue.keys.map((key) => ({
        code: 'SPEC_UNKNOWN_KEY' as const,
        path: [...path, key],
        at: 'key' as const,
        message: unknownKeyMessage(key, known),
      }));
    }
    case 'invalid_type': {
      const name = String(path.at(-1) ?? 'this field');
      if (input === undefined) {
        return value(
          'SPEC_REQUIRED',
          `${name} is required; add it${hint ? `: ${hint}` : ` (${expectedText(issue.expected)})`}.`,
        );
      }
      if (hint === DURATION_DESCRIPTION && issue.expected === 'string') {
        return value(
          'SPEC_INVALID_DURATION',
          `${show(input)} is not a duration: durations are strings with a unit; ${DURATION_HINT}.`,
        );
      }
      return value(
        'SPEC_INVALID_TYPE',
        own ??
          `expected ${hint ?? expectedText(issue.expected)}, but found ${describeValue(input)}.`,
      );
    }
    case 'invalid_union':
      return unionIssue(issue, path, raw, hint);
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const guess = typeof input === 'string' ? didYouMean(input, allowed) : undefined;
      return value(
        'SPEC_INVALID_VALUE',
        own ??
          `${show(input)} is not allowed here; ${guess ? `did you mean "${guess}"? ` : ''}use ${listOr(allowed.map((v) => JSON.stringify(v)))}.`,
      );
    }
    case 'invalid_format': {
      if (issue.format === 'regex' && issue.pattern === DURATION_REGEX.toString()) {
        return value(
          'SPEC_INVALID_DURATION',
          own ?? `${show(input)} is not a duration; ${DURATION_HINT}.`,
        );
      }
      const what =
        issue.format === 'url'
          ? 'a URL; write it like https://example.com/path'
          : `a valid ${issue.format}`;
      return value('SPEC_INVALID_VALUE', own ?? `${show(input)} is not ${what}.`);
    }
    case 'invalid_key': {
      // A key of a mapping with rules for its keys (`env` takes variable names).
      const inner = issue.issues.flatMap((nested) => mapIssue(nested, [], raw))[0];
      return [
        {
          code: inner?.code ?? 'SPEC_INVALID_VALUE',
          path,
          at: 'key',
          message: inner?.message ?? `${show(issue.input)} is not a valid key here.`,
        },
      ];
    }
    case 'too_small':
    case 'too_big':
      return value('SPEC_INVALID_VALUE', own ?? sizeMessage(issue, input));
    default:
      return value('SPEC_INVALID_VALUE', own ?? `${show(input)} is not valid here.`);
  }
}

/**
 * A value that fits none of a union's alternatives. A discriminated union
 * (runtime `type`) says which types exist. Otherwise, when exactly one
 * alternative takes a value of this kind (a string where `pause` takes a
 * duration string or `{}`), its own errors are the useful ones.
 */
function unionIssue(
  issue: z.core.$ZodIssueInvalidUnion,
  path: PathSegment[],
  raw: readonly RawIssue[],
  hint: string | undefined,
): PathIssue[] {
  const input = (issue as { input?: unknown }).input;
  const discriminator = (issue as { discriminator?: string }).discriminator;
  const options = (issue as { options?: unknown[] }).options;
  if (discriminator !== undefined && options !== undefined) {
    const names = options.map(String);
    const given = (input as Record<string, unknown> | undefined)?.[discriminator];
    if (given === undefined) {
      return [
        {
          code: 'SPEC_REQUIRED',
          path,
          at: 'value',
          message: `${discriminator} is required; use ${listOr(names)}.`,
        },
      ];
    }
    const guess = typeof given === 'string' ? didYouMean(given, names) : undefined;
    return [
      {
        code: 'SPEC_INVALID_VALUE',
        path,
        at: 'value',
        message: `${show(given)} is not a ${String(path.at(-2) ?? '')} ${discriminator}; ${guess ? `did you mean "${guess}"? ` : ''}use ${listOr(names)}.`,
      },
    ];
  }
  const fitting = issue.errors.filter(
    (branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  );
  if (fitting.length === 1 && fitting[0]) {
    return fitting[0].flatMap((inner) => mapIssue(inner, path, raw));
  }
  const expected = issue.errors
    .map((branch) =>
      branch.find((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
    )
    .map((inner) =>
      inner && inner.code === 'invalid_type' ? expectedText(inner.expected) : undefined,
    )
    .filter((text): text is string => text !== undefined);
  const name = String(path.at(-1) ?? 'this field');
  if (input === undefined) {
    return [
      {
        code: 'SPEC_REQUIRED',
        path,
        at: 'value',
        message: `${name} is required; add it (${hint ?? listOr(expected)}).`,
      },
    ];
  }
  return [
    {
      code: 'SPEC_INVALID_TYPE',
      path,
      at: 'value',
      message: `expected ${hint ?? listOr(expected)}, but found ${describeValue(input)}.`,
    },
  ];
}

/** `"healthChek" is not a known key; did you mean "healthCheck"?` */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  if (guess) return `"${key}" is not a known key; did you mean "${guess}"?`;
  if (known.length === 0)
    return `"${key}" is not a known key; this mapping takes no keys, remove it.`;
  return `"${key}" is not a known key; remove it or use one of: ${known.join(', ')}.`;
}

function sizeMessage(
  issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig,
  input: unknown,
): string {
  const limit = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  const small = issue.code === 'too_small';
  switch (issue.origin) {
    case 'array':
      return small
        ? `the list needs at least ${limit} ${Number(limit) === 1 ? 'entry' : 'entries'}; add one.`
        : `the list has more than ${limit} entries.`;
    case 'string':
      return small
        ? 'this must not be empty; write a value or remove the key.'
        : `this is longer than ${limit} characters.`;
    default: {
      const inclusive = (issue as { inclusive?: boolean }).inclusive !== false;
      const bound = small
        ? inclusive
          ? `at least ${limit}`
          : `more than ${limit}`
        : inclusive
          ? `at most ${limit}`
          : `less than ${limit}`;
      return `${show(input)} is out of range; use a number ${bound}.`;
    }
  }
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'object':
    case 'record':
      return 'a mapping';
    case 'array':
      return 'a list';
    default:
      return expected;
  }
}

function describeValue(input: unknown): string {
  if (input === null) return 'nothing (null)';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return `the string ${JSON.stringify(input)}`;
  return `${typeof input === 'number' ? 'the number' : 'the value'} ${String(input)}`;
}

function show(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  if (input === null || typeof input !== 'object') return String(input);
  return Array.isArray(input) ? 'this list' : 'this mapping';
}
