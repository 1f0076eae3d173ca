/**
 * Canonical JSON: the same value always gives the same text, whatever order
 * its object keys were written in. Keys are sorted by UTF-16 code units (as
 * RFC 8785 does), there is no whitespace, and values follow JSON.stringify's
 * rules (toJSON is honoured, undefined and functions are dropped from objects
 * and become null in arrays, non-finite numbers become null).
 *
 * We do not use JSON.stringify with a key-sorting replacer because a JS object
 * always lists integer-like keys ("9", "10") first in numeric order, whatever
 * order they are inserted in, so a rebuilt object would not be sorted.
 */
export function canonicalJson(value: unknown): string {
  const text = write(value, new Set());
  if (text === undefined) {
    throw new TypeError(`canonicalJson cannot encode a value of type ${typeof value}.`);
  }
  return text;
}

function write(input: unknown, ancestors: Set<object>): string | undefined {
  const value = applyToJson(input);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('canonicalJson cannot encode a BigInt.');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  const object = value as object;
  if (ancestors.has(object))
    throw new TypeError('canonicalJson cannot encode a circular structure.');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item) => write(item, ancestors) ?? 'null').join(',')}]`;
    }
    const record = object as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const text = write(record[key], ancestors);
      if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(object);
  }
}

function applyToJson(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && 'toJSON' in value) {
    const toJson = (value as { toJSON: unknown }).toJSON;
    if (typeof toJson === 'function') return (toJson as () => unknown).call(value);
  }
  return value;
}
