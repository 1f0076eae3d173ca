/**
 * The zod schemas of the control API's inputs: validation and the OpenAPI
 * document both come from these. Objects are strict: an unknown field is an
 * error with a "did you mean", like in the spec.
 */
import { z } from 'zod';
import { dnsLabel } from '../spec/schema/primitives.ts';
import { resolvedSpec } from '../spec/schema/spec.ts';

const MAX_REPLICAS = 1000;

/** Query strings are text: an integer within bounds, written in digits. */
export const queryInt = (options: { readonly min: number; readonly max: number }) =>
  z
    .string()
    .regex(/^[0-9]+$/, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a whole number; write digits, from ${options.min} to ${options.max}.`,
    })
    .transform(Number)
    .pipe(z.number().int().min(options.min).max(options.max));

export const queryBool = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

export const serviceParams = z.strictObject({
  service: dnsLabel('service name'),
  env: dnsLabel('environment name'),
});

export const deployBody = z.strictObject({
  version: z.string().min(1).max(128).describe('the version to deploy, e.g. 1.4.2'),
  spec: resolvedSpec.describe('the resolved spec (`switchyard validate --json` prints one)'),
  requestedBy: z.string().min(1).max(200).describe('who asked, e.g. alice@laptop'),
});

export const promoteBody = z.strictObject({
  full: z.boolean().optional().describe('skip the remaining steps and send all traffic now'),
});

export const rollbackBody = z.strictObject({
  to: z.number().int().positive().optional().describe('the revision number; default the previous'),
  requestedBy: z.string().min(1).max(200).optional(),
});

export const trafficBody = z.strictObject({
  weights: z
    .array(
      z.strictObject({
        pool: z.string().min(1),
        weight: z.number().int().min(0).max(100).describe('a whole percentage, 0 to 100'),
      }),
    )
    .min(1)
    .describe('one entry per pool, in the order status lists them; they add up to 100'),
});

export const scaleBody = z.strictObject({
  replicas: z.number().int().min(1).max(MAX_REPLICAS).describe('instances per pool'),
});

export const cleanupBody = z.strictObject({
  apply: z.boolean().describe('false: only say what would be removed'),
});

export const historyQuery = z.strictObject({
  limit: queryInt({ min: 1, max: 1000 }).optional(),
});

export const logsQuery = z.strictObject({
  instance: z.string().min(1).optional().describe('one instance id; default all of the service'),
  tail: queryInt({ min: 0, max: 100_000 }).optional().describe('lines from the end'),
  follow: queryBool.optional().describe('keep the answer open and stream new lines (JSON lines)'),
});

export const lockReleaseQuery = z.strictObject({
  force: queryBool.optional().describe('release a lock held by someone else'),
});

export const eventsQuery = z.strictObject({
  service: dnsLabel('service name').optional(),
  env: dnsLabel('environment name').optional(),
  after: queryInt({ min: 0, max: Number.MAX_SAFE_INTEGER })
    .optional()
    .describe('send events after this id (a Last-Event-ID header does the same)'),
});

/** Bodies may be left out for routes whose fields are all optional. */
export const emptyBody = z.strictObject({});
