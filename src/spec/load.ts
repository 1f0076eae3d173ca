/**
 * Reading a spec: YAML with positions → `${VAR}` → the environment's overlay
 * → zod. Every problem found on the way is collected with its file, line,
 * column and path, and thrown together as one SpecError.
 *
 * The whole file is checked whichever environment is asked for: the base on
 * its own, and the base with each environment's overlay. A broken `live`
 * overlay is caught when deploying to `alpha`, before the artifact gets there.
 * Only the `${VAR}`s of the base and of the chosen environment must be set;
 * the other environments' variables are set where those are deployed, so a
 * value of theirs that still holds an unset `${VAR}` is not type-checked.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_ENVIRONMENT } from './defaults.ts';
import { didYouMean } from './did-you-mean.ts';
import { interpolateDocument, type Env } from './interpolate.ts';
import { isMapping, overlay } from './overlay.ts';
import { DNS_LABEL, listOr } from './schema/primitives.ts';
import { containerRuntime } from './schema/runtime.ts';
import { resolvedSpec, spec } from './schema/spec.ts';
import { blueGreen } from './schema/strategy.ts';
import { formatPath, SpecError, type PathSegment, type SpecIssue } from './spec-error.ts';
import type { ResolvedSpec } from './types.ts';
import { SpecSource } from './yaml-source.ts';
import { checkWithSchema, unknownKeyMessage, type PathIssue } from './zod-issues.ts';

export interface ParseSpecOptions {
  /** The spec's text. */
  readonly text: string;
  /** Its name in error messages, e.g. `switchyard.yaml`. */
  readonly file: string;
  /** Where `${VAR}` values come from, usually the deployer's `process.env`. */
  readonly env: Env;
  /** The environment to overlay; without it, the base spec as environment `default`. */
  readonly environment?: string;
}

export interface LoadSpecOptions {
  /** Path of the spec file as the user named it; errors show it this way. */
  readonly file: string;
  /** Where a relative `file` is found; defaults to the process's working directory. */
  readonly cwd?: string;
  readonly env: Env;
  readonly environment?: string;
}

/** Keys an environment may not change: they say which service this is and hold the overlays. */
const NOT_OVERRIDABLE = ['service', 'environments'] as const;

/**
 * The resolved spec's own key, naming the environment it was resolved for.
 * Like at the top level, an overlay cannot write it: it is not a spec key.
 */
const ENVIRONMENT_KEY = 'environment';

/** Reads and resolves a spec file; throws a SpecError listing every problem. */
export async function loadSpec(options: LoadSpecOptions): Promise<ResolvedSpec> {
  let text: string;
  try {
    text = await readFile(resolve(options.cwd ?? process.cwd(), options.file), 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new SpecError([
      {
        code: 'SPEC_FILE_NOT_FOUND',
        file: options.file,
        line: 1,
        column: 1,
        path: '',
        message: `the spec file ${reason}; run \`switchyard init\` to write one, or name another with -f FILE.`,
      },
    ]);
  }
  return parseSpec({
    text,
    file: options.file,
    env: options.env,
    environment: options.environment,
  });
}

/** Resolves a spec's text; throws a SpecError listing every problem. */
export function parseSpec(options: ParseSpecOptions): ResolvedSpec {
  const source = new SpecSource({ text: options.text, file: options.file });
  const syntax = source.syntaxIssues();
  if (syntax.length > 0) throw new SpecError(syntax);

  const issues = new IssueList(source);
  let contents: unknown;
  try {
    contents = source.document.toJS();
  } catch (error) {
    // An unresolved or excessive alias: found only when the document becomes data.
    if (error instanceof ReferenceError) throw new SpecError([source.aliasIssue(error)]);
    throw error;
  }
  if (!isMapping(contents)) {
    throw new SpecError([
      {
        code: 'SPEC_NOT_A_MAPPING',
        file: options.file,
        line: 1,
        column: 1,
        path: '',
        message:
          contents === null || contents === undefined
            ? 'the spec is empty; run `switchyard init` for a starting point.'
            : 'the spec must be a mapping of keys (service:, runtime:, …) at the top level.',
      },
    ]);
  }

  const definedEnvironments = isMapping(contents['environments'])
    ? Object.keys(contents['environments'])
    : [];
  const chosen = options.environment ?? DEFAULT_ENVIRONMENT;
  const overlaid = chosen !== DEFAULT_ENVIRONMENT || definedEnvironments.includes(chosen);
  if (overlaid && !definedEnvironments.includes(chosen))
    issues.addUnknownEnvironment(chosen, definedEnvironments);

  for (const problem of interpolateDocument(source.document, options.text, options.env)) {
    const where = source.positionAt(problem.offset);
    const path = formatPath(problem.path);
    // The value still holds the `${...}` as written; what the schema says about it would be noise.
    issues.silence(path);
    // Another environment's variable, set where that environment is deployed: not an error here.
    const [top, environment] = problem.path;
    const otherEnvironment = top === 'environments' && environment !== chosen;
    if (problem.problem.kind === 'missing' && otherEnvironment) continue;
    issues.add({
      code: problem.problem.kind === 'missing' ? 'SPEC_MISSING_VARIABLE' : 'SPEC_BAD_INTERPOLATION',
      file: options.file,
      ...where,
      path,
      message:
        problem.problem.kind === 'missing'
          ? `${problem.problem.token} names a variable that is not set; set ${problem.problem.name} in the environment you run switchyard from, or write $${problem.problem.token} for a literal ${problem.problem.token}.`
          : `${problem.problem.token} is not a variable reference; write \${NAME} with letters, digits and "_", or $\${...} for a literal.`,
    });
  }

  const data = source.document.toJS() as Record<string, unknown>;
  const { environments, ...base } = data;
  const baseResult = checkWithSchema(spec, data);
  if (!baseResult.ok) issues.addAll(baseResult.issues, { environment: undefined });

  let resolved: ResolvedSpec | undefined;
  if (!overlaid && baseResult.ok) {
    const { environments: _dropped, ...rest } = baseResult.value;
    resolved = withFallbacks({ ...rest, environment: DEFAULT_ENVIRONMENT } as ResolvedSpec);
  }

  if (isMapping(environments)) {
    for (const [name, layer] of Object.entries(environments)) {
      // Reported by the base check: a name that is not a DNS label, or an overlay that is not a mapping.
      if (!isMapping(layer) || !DNS_LABEL.test(name)) continue;
      for (const key of NOT_OVERRIDABLE) {
        if (key in layer) {
          issues.addAt(['environments', name, key], 'key', {
            code: 'SPEC_INVALID_VALUE',
            message: `an environment cannot change \`${key}\`; set it once at the top level.`,
          });
        }
      }
      if (ENVIRONMENT_KEY in layer) {
        issues.addAt(['environments', name, ENVIRONMENT_KEY], 'key', {
          code: 'SPEC_UNKNOWN_KEY',
          message: unknownKeyMessage(
            ENVIRONMENT_KEY,
            Object.keys(spec.shape).filter(
              (key) => !NOT_OVERRIDABLE.some((fixed) => fixed === key),
            ),
          ),
        });
      }
      const merged = { ...(overlay(base, layer) as Record<string, unknown>), environment: name };
      const result = checkWithSchema(resolvedSpec, merged);
      if (!result.ok) issues.addAll(result.issues, { environment: name });
      else if (name === chosen) resolved = withFallbacks(result.value as ResolvedSpec);
    }
  }

  if (issues.size > 0 || resolved === undefined) throw new SpecError(issues.all());
  return resolved;
}

/**
 * Fills in the fallbacks that depend on other fields, so the resolved spec
 * says every value it will use: a container's `port` is the spec's `port`,
 * and blue/green `previewReplicas` is `replicas`. Keys keep the schema's order.
 */
function withFallbacks(resolved: ResolvedSpec): ResolvedSpec {
  let result = resolved;
  const { runtime, strategy } = result;
  if (runtime.type === 'container' && runtime.port === undefined) {
    const filled = inOrder({ ...runtime, port: result.port }, containerRuntime.shape);
    result = { ...result, runtime: filled };
  }
  if ('blueGreen' in strategy && strategy.blueGreen.previewReplicas === undefined) {
    const filled = inOrder(
      { ...strategy.blueGreen, previewReplicas: result.replicas },
      blueGreen.shape,
    );
    result = { ...result, strategy: { blueGreen: filled } };
  }
  return result;
}

/** `value` with its keys in the order `shape` declares them. */
function inOrder<T extends object>(value: T, shape: object): T {
  const entries = Object.entries(value);
  const order = Object.keys(shape);
  entries.sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  return Object.fromEntries(entries) as T;
}

/** The errors found so far, each pointed at its place in the file, without repeats. */
class IssueList {
  readonly #source: SpecSource;
  readonly #issues = new Map<string, SpecIssue>();
  /** Paths whose value is already reported as wrong at its source (an unset variable). */
  readonly #silenced = new Set<string>();

  constructor(source: SpecSource) {
    this.#source = source;
  }

  get size(): number {
    return this.#issues.size;
  }

  all(): SpecIssue[] {
    return [...this.#issues.values()];
  }

  silence(path: string): void {
    this.#silenced.add(path);
  }

  /**
   * Adds one error, unless it is already there, or is about a value whose
   * variable is reported (or left for its environment) already. An error about a key (an
   * unknown key) is never silenced: the variable is in its value.
   */
  add(issue: SpecIssue, at: 'key' | 'value' = 'value'): void {
    if (
      at === 'value' &&
      this.#silenced.has(issue.path) &&
      !issue.code.endsWith('_VARIABLE') &&
      issue.code !== 'SPEC_BAD_INTERPOLATION'
    )
      return;
    const key = `${issue.code} ${issue.path} ${issue.line}:${issue.column}`;
    // Exactly the documented fields, in this order: `validate --json` prints them as they are.
    const { code, file, line, column, path, message } = issue;
    if (!this.#issues.has(key)) this.#issues.set(key, { code, file, line, column, path, message });
  }

  addAt(
    path: readonly PathSegment[],
    at: 'key' | 'value',
    issue: Pick<SpecIssue, 'code' | 'message'>,
  ): void {
    const where = this.#source.locate(path, at);
    this.add(
      {
        code: issue.code,
        file: this.#source.file,
        line: where.line,
        column: where.column,
        path: formatPath(path),
        message: issue.message,
      },
      at,
    );
  }

  addUnknownEnvironment(name: string, defined: readonly string[]): void {
    const guess = didYouMean(name, defined);
    this.addAt(['environments'], 'key', {
      code: 'SPEC_UNKNOWN_ENVIRONMENT',
      message:
        defined.length === 0
          ? `--env ${name} names an environment, but the spec defines none; add environments.${name} or leave out --env.`
          : `--env ${name} is not an environment of this spec; ${guess ? `did you mean ${guess}? ` : ''}use ${listOr(defined)}.`,
    });
  }

  /**
   * Adds schema issues found in the base (environment undefined) or in the
   * base with an environment's overlay. A path of the merged spec is written
   * either in the overlay (`environments.live.replicas`) or in the base;
   * the error names the place it is written.
   */
  addAll(found: readonly PathIssue[], options: { environment: string | undefined }): void {
    for (const issue of found) {
      if (options.environment === undefined) {
        this.addAt(issue.path, issue.at, issue);
        continue;
      }
      const overlayPath = ['environments', options.environment, ...issue.path];
      const inOverlay = this.#source.locate(overlayPath, issue.at);
      const inBase = this.#source.locate(issue.path, issue.at);
      const overlayDepth = inOverlay.depth - 2;
      if (overlayDepth > 0 && overlayDepth >= inBase.depth) {
        this.add(
          {
            code: issue.code,
            file: this.#source.file,
            line: inOverlay.line,
            column: inOverlay.column,
            path: formatPath(overlayPath),
            message: issue.message,
          },
          issue.at,
        );
      } else {
        // Written in the base, but only wrong with this environment's overlay.
        this.add(
          {
            code: issue.code,
            file: this.#source.file,
            line: inBase.line,
            column: inBase.column,
            path: formatPath(issue.path),
            message: `${issue.message.replace(/\.$/, '')} (with environment ${options.environment}).`,
          },
          issue.at,
        );
      }
    }
  }
}
