/**
 * `--env NAME` lays `environments.NAME` over the rest of the spec: mappings
 * merge key by key, anything else (lists, strings, numbers) is replaced.
 * Two mappings are alternatives rather than parts, so they are replaced whole
 * when the overlay picks a different alternative: a `runtime` of another
 * `type`, and a `strategy` of another kind (an alpha on `preset: AllAtOnce`
 * over a canary base must not end up with both).
 */
import type { PathSegment } from './spec-error.ts';

type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key that says which alternative a mapping is, for the mappings that are alternatives. */
function variantOf(path: readonly PathSegment[], value: Mapping): string | undefined {
  if (path.length !== 1) return undefined;
  if (path[0] === 'runtime') return String(value['type']);
  if (path[0] === 'strategy') return Object.keys(value).sort().join(',');
  return undefined;
}

export function overlay(base: unknown, over: unknown, path: readonly PathSegment[] = []): unknown {
  if (!isMapping(base) || !isMapping(over)) return over;
  if (variantOf(path, base) !== variantOf(path, over)) return over;
  const merged: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) {
    merged[key] = key in base ? overlay(base[key], value, [...path, key]) : value;
  }
  return merged;
}
