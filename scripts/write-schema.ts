/**
 * `npm run schema`: writes schema/switchyard.schema.json from the zod schemas
 * in src/spec, for editors (`# yaml-language-server: $schema=...`). The file
 * ships in the package; a unit test fails when it is out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { specJsonSchema } from '../src/spec/index.ts';

const SCHEMA_FILE = join(import.meta.dirname, '..', 'schema', 'switchyard.schema.json');

mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
writeFileSync(SCHEMA_FILE, `${JSON.stringify(specJsonSchema(), null, 2)}\n`);
console.log(`wrote ${relative(process.cwd(), SCHEMA_FILE)}`);
