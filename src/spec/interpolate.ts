/**
 * `${VAR}` in the spec is replaced from the deployer's environment when the
 * spec is loaded; `$${VAR}` writes a literal `${VAR}`; a bare `$PORT` is left
 * alone for the instance's shell (DESIGN.md). Only string values are touched,
 * in place in the YAML nodes, so every position stays what the file says.
 */
import { isMap, isPair, isScalar, isSeq, type Document } from 'yaml';
import type { PathSegment } from './spec-error.ts';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type Env = Readonly<Record<string, string | undefined>>;

export type InterpolationProblem =
  | { readonly kind: 'missing'; readonly name: string; readonly token: string }
  | { readonly kind: 'malformed'; readonly token: string };

export interface InterpolatedString {
  readonly value: string;
  readonly problems: readonly InterpolationProblem[];
}

/**
 * Expands one string. A missing variable is left as written and reported, so
 * a caller that tolerates it (an environment not being deployed) keeps the text.
 */
export function interpolateString(text: string, env: Env): InterpolatedString {
  const problems: InterpolationProblem[] = [];
  let value = '';
  let index = 0;
  while (index < text.length) {
    if (text.startsWith('$${', index)) {
      value += '${';
      index += 3;
      continue;
    }
    if (!text.startsWith('${', index)) {
      value += text[index];
      index++;
      continue;
    }
    const close = text.indexOf('}', index + 2);
    if (close === -1) {
      const token = text.slice(index);
      problems.push({ kind: 'malformed', token });
      value += token;
      break;
    }
    const token = text.slice(index, close + 1);
    const name = text.slice(index + 2, close);
    const found = env[name];
    if (!VARIABLE_NAME.test(name)) {
      problems.push({ kind: 'malformed', token });
      value += token;
    } else if (found === undefined) {
      problems.push({ kind: 'missing', name, token });
      value += token;
    } else {
      value += found;
    }
    index = close + 1;
  }
  return { value, problems };
}

export interface PlacedProblem {
  readonly problem: InterpolationProblem;
  readonly path: readonly PathSegment[];
  /** Offset in the file of the `${...}`, or of its scalar when it cannot be found there. */
  readonly offset: number;
}

/**
 * Expands every string value of the document in place and returns every
 * problem with its place. A value with a problem keeps its `${...}` as
 * written; whether an unset variable is an error is the caller's choice.
 */
export function interpolateDocument(
  document: Document.Parsed,
  source: string,
  env: Env,
): PlacedProblem[] {
  const placed: PlacedProblem[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key))
          visit(pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    } else if (isScalar(node) && typeof node.value === 'string') {
      const written = node.value;
      const result = interpolateString(written, env);
      node.value = plainScalarValue(node, written, result);
      const [start, end] = node.range ?? [0, 0];
      let searchFrom = start;
      for (const problem of result.problems) {
        const found = source.indexOf(problem.token, searchFrom);
        const offset = found !== -1 && found < end ? found : start;
        if (found !== -1 && found < end) searchFrom = found + problem.token.length;
        placed.push({ problem, path, offset });
      }
    }
  };
  visit(document.contents, []);
  return placed;
}

const YAML_INTEGER_OR_FLOAT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * `port: ${PORT}` must mean the number 8080 when PORT=8080, as if the file
 * said `port: 8080`: an unquoted scalar that was expanded is read again as
 * YAML reads a plain number or boolean. A quoted one (`port: "${PORT}"`)
 * stays a string, as written.
 */
function plainScalarValue(
  node: { readonly type?: string | undefined },
  written: string,
  result: InterpolatedString,
): string | number | boolean {
  const expanded = result.value;
  if (node.type !== 'PLAIN' || expanded === written || result.problems.length > 0) return expanded;
  if (YAML_INTEGER_OR_FLOAT.test(expanded)) return Number(expanded);
  if (expanded === 'true' || expanded === 'false') return expanded === 'true';
  return expanded;
}
