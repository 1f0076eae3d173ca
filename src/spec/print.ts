/**
 * The resolved spec printed as spec text (`switchyard validate`), so that it
 * validates back to itself: a literal `${` it holds (written `$${` in the
 * file) is written `$${` again, or reading it back would expand it. Only
 * values are escaped; keys are never interpolated. JSON output is data, not
 * a spec file, so it is left as it is.
 */
import { stringify } from 'yaml';
import type { ResolvedSpec } from './types.ts';

/** `value` with every `${` in its strings written `$${`. */
export function escapeInterpolation(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('${', () => '$${');
  if (Array.isArray(value)) return value.map(escapeInterpolation);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, escapeInterpolation(inner)]),
    );
  }
  return value;
}

/** The resolved spec as YAML, with literal `${` escaped. */
export function resolvedSpecYaml(spec: ResolvedSpec): string {
  return stringify(escapeInterpolation(spec));
}
