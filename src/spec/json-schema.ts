/**
 * The JSON Schema editors use (`# yaml-language-server: $schema=...`), made
 * from the same zod schemas that validate, so the two cannot drift apart.
 * It describes what a user writes (zod's input side: defaults optional).
 */
import { z } from 'zod';
import { spec } from './schema/spec.ts';

export const SCHEMA_ID = 'https://switchyard.dev/schema/switchyard.schema.json';

export function specJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(spec, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: SCHEMA_ID,
    title: 'switchyard.yaml',
    description:
      'A Switchyard service spec: how to run, check, route and roll out one web service.',
  };
}
