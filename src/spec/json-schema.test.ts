import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specJsonSchema } from './json-schema.ts';

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  oneOf?: Schema[];
  anyOf?: Schema[];
  items?: Schema;
  required?: string[];
  pattern?: string;
};

/** Every object schema in the tree, with where it is. */
function objects(schema: Schema, where = '#'): [string, Schema][] {
  const found: [string, Schema][] = [];
  if (schema.type === 'object' && schema.properties) found.push([where, schema]);
  for (const [key, inner] of Object.entries(schema.properties ?? {}))
    found.push(...objects(inner, `${where}/${key}`));
  for (const [index, inner] of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].entries()) {
    found.push(...objects(inner, `${where}|${index}`));
  }
  if (schema.items) found.push(...objects(schema.items, `${where}[]`));
  if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
    found.push(...objects(schema.additionalProperties as Schema, `${where}/*`));
  }
  return found;
}

describe('specJsonSchema', () => {
  const schema = specJsonSchema() as Schema;

  it('is a draft 2020-12 schema for the whole spec format', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.properties ?? {})).toEqual([
      'service',
      'runtime',
      'port',
      'replicas',
      'healthCheck',
      'router',
      'strategy',
      'analysis',
      'hooks',
      'env',
      'secrets',
      'environments',
      'notifications',
    ]);
    expect(schema.required).toEqual(['service', 'runtime', 'router']);
  });

  it('keeps the spec strict: every mapping with fixed keys rejects unknown ones', () => {
    const all = objects(schema);
    expect(all.length).toBeGreaterThan(20);
    const open = all
      .filter(([, object]) => object.additionalProperties !== false)
      .map(([where]) => where);
    expect(open).toEqual([]);
  });

  it('offers one shape per runtime type and checks durations by pattern', () => {
    const runtimes = schema.properties?.['runtime']?.oneOf ?? [];
    expect(runtimes.map((runtime) => runtime.properties?.['type']?.const)).toEqual([
      'process',
      'container',
      'ssh',
      'kubernetes',
    ]);
    const interval = schema.properties?.['healthCheck']?.properties?.['interval'];
    expect(interval?.type).toBe('string');
    expect(new RegExp(interval?.pattern ?? '^$').test('1m30s')).toBe(true);
    expect(new RegExp(interval?.pattern ?? '^$').test('30 seconds')).toBe(false);
  });

  it('checks a container memory size by the same rule as validate: k, m or g in either case', () => {
    const container = schema.properties?.['runtime']?.oneOf?.[1];
    const pattern = new RegExp(container?.properties?.['memory']?.pattern ?? '^$');
    expect(
      ['512m', '512M', '1g', '1G', '64k', '1024'].filter((size) => pattern.test(size)),
    ).toEqual(['512m', '512M', '1g', '1G', '64k', '1024']);
    expect(['512mb', 'lots', '1.5g', ''].filter((size) => pattern.test(size))).toEqual([]);
  });

  it('takes the same env in a container runtime as at the top level', () => {
    const container = schema.properties?.['runtime']?.oneOf?.[1];
    expect(container?.properties?.['env']).toEqual(schema.properties?.['env']);
  });

  it('says a strategy holds exactly one kind', () => {
    const strategy = schema.properties?.['strategy'];
    expect(strategy).toMatchObject({
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
    });
  });
});

describe('schema/switchyard.schema.json', () => {
  it('is what `npm run schema` writes now (run it after changing the spec schemas)', () => {
    const file = join(import.meta.dirname, '../../schema/switchyard.schema.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(specJsonSchema());
  });
});
