/**
 * The spec file as YAML nodes with their source positions, so an error found
 * in the parsed data can be pointed back at a line and column by its path.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { PathSegment, SpecIssue } from './spec-error.ts';

export interface Located {
  readonly line: number;
  readonly column: number;
  /** How many segments of the asked path exist in the file (all of them when found). */
  readonly depth: number;
}

export class SpecSource {
  readonly file: string;
  readonly document: Document.Parsed;
  readonly #lines: LineCounter;

  constructor(options: { text: string; file: string }) {
    this.file = options.file;
    this.#lines = new LineCounter();
    // Unique keys are enforced by the parser: a duplicated key is a syntax error.
    this.document = parseDocument(options.text, {
      lineCounter: this.#lines,
      prettyErrors: false,
      uniqueKeys: true,
    });
  }

  /** YAML syntax errors, each with its position. */
  syntaxIssues(): SpecIssue[] {
    return this.document.errors.map((error) => {
      const sentence =
        error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
      return this.#yamlIssue(error.pos[0], sentence, 'fix the syntax here');
    });
  }

  /**
   * The issue for an alias the YAML library cannot resolve when the document
   * is turned into data (`*a` with no `&a` before it, or too many aliases):
   * it throws a ReferenceError there, after parsing found no syntax error.
   */
  aliasIssue(error: Error): SpecIssue {
    let offset = 0;
    visit(this.document, {
      Alias(_key, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return this.#yamlIssue(offset, error.message, 'fix the alias here');
  }

  #yamlIssue(offset: number, problem: string, remedy: string): SpecIssue {
    return {
      code: 'SPEC_YAML_SYNTAX',
      file: this.file,
      ...this.positionAt(offset),
      path: '',
      message: `this is not valid YAML: ${problem.replace(/\.$/, '')}; ${remedy}.`,
    };
  }

  positionAt(offset: number): { line: number; column: number } {
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Where `path` is written: the key itself for `at: 'key'` (unknown keys),
   * otherwise its value. When the path does not exist (a missing key) it is
   * the deepest part that does.
   */
  locate(path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Located {
    let node: unknown = this.document.contents;
    let offset = rangeStart(node) ?? 0;
    let depth = 0;
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      node = this.#resolve(node);
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && keyText(item.key) === String(segment),
        );
        if (pair === undefined) break;
        const keyStart = rangeStart(pair.key);
        const valueStart = rangeStart(pair.value);
        offset = last && at === 'key' ? (keyStart ?? offset) : (valueStart ?? keyStart ?? offset);
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        node = node.items[segment];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
      depth++;
    }
    return { ...this.positionAt(offset), depth };
  }

  #resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.document) : node;
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
