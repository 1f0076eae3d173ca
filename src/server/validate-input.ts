/**
 * Checks a request's path, query or body against its zod schema and throws
 * one API_BAD_REQUEST that names every wrong field, e.g. `body field
 * "weights[0].weight": expected an integer from 0 to 100`.
 */
import type { z } from 'zod';
import { SwitchyardError } from '../errors.ts';
import { formatPath } from '../spec/spec-error.ts';
import { checkWithSchema } from '../spec/zod-issues.ts';

export type InputPart = 'path' | 'query' | 'body';

export function validateInput<T>(schema: z.ZodType<T>, data: unknown, part: InputPart): T {
  const result = checkWithSchema(schema, data);
  if (result.ok) return result.value;
  const lines = result.issues.map((issue) => {
    const field = formatPath(issue.path);
    return field === ''
      ? `${part}: ${issue.message}`
      : `${part} field "${field}": ${issue.message}`;
  });
  const [first] = lines;
  throw new SwitchyardError(
    'API_BAD_REQUEST',
    lines.length === 1
      ? `Bad request, ${first}`
      : `Bad request: ${lines.length} fields are wrong, the first is ${first}`,
    { details: lines },
  );
}
