/**
 * The OpenAPI 3.1 document, built from the route table: the same zod schemas
 * that validate requests describe them here, so the document cannot drift.
 */
import { z } from 'zod';
import { VERSION } from '../version.ts';
import type { ApiRoute, Produces } from './route.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    ...(typeof property['description'] === 'string' && { description: property['description'] }),
    schema: property,
  }));
}

const MEDIA: Record<Produces, string> = {
  json: 'application/json',
  'event-stream': 'text/event-stream',
  ndjson: 'application/x-ndjson',
};

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };

export function buildOpenApi(routes: readonly ApiRoute[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const produces = route.produces ?? 'json';
    const success =
      produces === 'json'
        ? { 'application/json': {} }
        : { [MEDIA[produces]]: {}, ...(produces === 'ndjson' && { 'application/json': {} }) };
    (paths[path] ??= {})[route.method.toLowerCase()] = {
      summary: route.summary,
      operationId: operationId(route),
      security: route.public ? [] : [{ bearer: [] }],
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body && {
        requestBody: {
          required: true,
          content: { 'application/json': { schema: jsonSchema(route.body) } },
        },
      }),
      responses: {
        '200': { description: 'OK', content: success },
        ...(!route.public && { '401': ERROR_RESPONSE }),
        '400': ERROR_RESPONSE,
        '404': ERROR_RESPONSE,
        '409': ERROR_RESPONSE,
        '422': ERROR_RESPONSE,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard control API',
      version: VERSION,
      description:
        'Every route but /v1/healthz and /v1/openapi.json needs `Authorization: Bearer <token>`, the token `switchyard up` writes to .switchyard/token. Errors are {error:{code,message,details}}; 400 bad input, 404 unknown service or revision, 409 conflict (lock held, rollout running), 422 the action failed.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: {
        Error: {
          description: 'A Switchyard error with its stable code',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['error'],
                properties: {
                  error: {
                    type: 'object',
                    required: ['code', 'message', 'details'],
                    properties: {
                      code: { type: 'string' },
                      message: { type: 'string' },
                      details: { type: 'array', items: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

/** `POST /v1/services/:service/:env/deploy` → `postServicesDeploy`. */
function operationId(route: ApiRoute): string {
  const words = route.url
    .split('/')
    .filter((part) => part !== '' && part !== 'v1' && !part.startsWith(':'))
    .map((part) => part.replace(/[^A-Za-z0-9]/g, ''));
  return [route.method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1))].join(
    '',
  );
}
