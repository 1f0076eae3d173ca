/**
 * What a spec error carries (file, line, column, path, code, a sentence) and
 * the aggregate thrown when a spec has any: every problem at once, never only
 * the first (STYLE.md §6).
 */
import { SwitchyardError, type ErrorCode } from '../errors.ts';

export type PathSegment = string | number;

export interface SpecIssue {
  readonly code: ErrorCode;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Where in the file, e.g. `strategy.canary.steps[2].pause`; empty for the file as a whole. */
  readonly path: string;
  readonly message: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['strategy', 'canary', 'steps', 2, 'pause']` → `strategy.canary.steps[2].pause`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** `switchyard.yaml:12:5 strategy.canary.steps[2].pause: <sentence>` */
export function formatIssue(issue: SpecIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === ''
    ? `${where}: ${issue.message}`
    : `${where} ${issue.path}: ${issue.message}`;
}

/** Errors in reading order, so the output walks down the file. */
export function sortIssues(issues: readonly SpecIssue[]): SpecIssue[] {
  return [...issues].sort(
    (a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path),
  );
}

export class SpecError extends SwitchyardError {
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[]) {
    const sorted = sortIssues(issues);
    const first = sorted[0];
    if (first === undefined) throw new RangeError('A SpecError needs at least one issue.');
    const count = sorted.length === 1 ? 'an error' : `${sorted.length} errors`;
    super(
      first.code,
      `${first.file} has ${count}; fix ${sorted.length === 1 ? 'it' : 'them'} and run again.`,
      {
        details: sorted.map(formatIssue),
      },
    );
    this.name = 'SpecError';
    this.issues = sorted;
  }
}

export function isSpecError(error: unknown): error is SpecError {
  return error instanceof SpecError;
}
