/**
 * The zod schema for RouterConfig (config.ts): used at the admin API boundary
 * and when the router reads its saved config from disk. Unknown keys are
 * rejected, and every problem is reported at once with its path
 * (`services[0].pools[1].weight`) and what to do about it.
 */
import { z } from 'zod';
import { formatPath, type PathSegment } from '../spec/spec-error.ts';
import type { RouterConfig } from './config.ts';

export interface ConfigIssue {
  /** e.g. "services[0].listen.port"; "" for the whole body. */
  readonly path: string;
  /** What is wrong and what to do, e.g. "must be a port from 1 to 65535". */
  readonly message: string;
}

export type ConfigParseResult =
  | { readonly ok: true; readonly config: RouterConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

const port = z
  .int('must be a whole number: a port from 1 to 65535')
  .min(1, 'must be a port from 1 to 65535')
  .max(65535, 'must be a port from 1 to 65535');

const durationMs = z
  .int('must be a whole number of milliseconds')
  .min(1, 'must be a positive number of milliseconds');

const threshold = z
  .int('must be a whole number of consecutive checks')
  .min(1, 'must be at least 1 check');

const name = z.string('must be a string').min(1, 'must not be empty');

// An HTTP field name (RFC 9110 token), so the proxy can match it as is.
const headerName = z
  .string('must be a string')
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name such as x-switchyard-pool');

const listen = z.strictObject({
  port,
  host: z
    .string('must be a string')
    .min(1, 'must not be empty; leave it out for the default')
    .optional(),
});

const instance = z.strictObject({ id: name, host: name, port });

const pool = z.strictObject({
  name,
  weight: z
    .int('must be a whole number (0 = no new traffic)')
    .min(0, 'must not be negative (0 = no new traffic)'),
  instances: z.array(instance, 'must be a list of instances'),
});

const healthCheck = z.strictObject({
  path: z
    .string('must be a string')
    .startsWith('/', 'must be a path starting with /, such as /healthz'),
  intervalMs: durationMs,
  timeoutMs: durationMs,
  healthyThreshold: threshold,
  unhealthyThreshold: threshold,
});

const service = z.strictObject({
  name,
  listen,
  preview: listen.optional(),
  previewPool: name.optional(),
  pools: z.array(pool, 'must be a list of pools'),
  balance: z.enum(['round-robin', 'least-requests'], 'must be "round-robin" or "least-requests"'),
  sticky: z.boolean('must be true or false'),
  overrideHeader: headerName,
  healthCheck,
  drainTimeoutMs: durationMs,
});

const routerConfigSchema = z
  .strictObject({
    generation: z
      .int('must be a whole number that grows with every change')
      .min(0, 'must not be negative'),
    services: z.array(service, 'must be a list of services'),
  })
  .superRefine((config, context) => {
    const issue = (path: (string | number)[], message: string): void => {
      context.addIssue({ code: 'custom', path, message });
    };
    const serviceNames = new Map<string, number>();
    const ports = new Map<number, string>();
    const claimPort = (portNumber: number, path: (string | number)[]): void => {
      const owner = ports.get(portNumber);
      if (owner !== undefined)
        issue(
          path,
          `port ${portNumber} is already used by ${owner}; give each listener its own port`,
        );
      else ports.set(portNumber, formatPath(path));
    };

    config.services.forEach((svc, s) => {
      const first = serviceNames.get(svc.name);
      if (first !== undefined)
        issue(
          ['services', s, 'name'],
          `"${svc.name}" is also the name of services[${first}]; service names must be unique`,
        );
      else serviceNames.set(svc.name, s);

      claimPort(svc.listen.port, ['services', s, 'listen', 'port']);
      if (svc.preview) claimPort(svc.preview.port, ['services', s, 'preview', 'port']);

      const poolNames = new Set<string>();
      const instanceIds = new Map<string, string>();
      svc.pools.forEach((p, pi) => {
        if (poolNames.has(p.name))
          issue(
            ['services', s, 'pools', pi, 'name'],
            `pool "${p.name}" appears twice; pool names must be unique within a service`,
          );
        poolNames.add(p.name);
        p.instances.forEach((inst, ii) => {
          const where = instanceIds.get(inst.id);
          if (where !== undefined)
            issue(
              ['services', s, 'pools', pi, 'instances', ii, 'id'],
              `instance id "${inst.id}" is also used at ${where}; instance ids must be unique within a service`,
            );
          else instanceIds.set(inst.id, formatPath(['services', s, 'pools', pi, 'instances', ii]));
        });
      });
      if (svc.previewPool !== undefined && !poolNames.has(svc.previewPool))
        issue(
          ['services', s, 'previewPool'],
          `names pool "${svc.previewPool}", which this service does not have; use one of: ${[...poolNames].join(', ') || '(no pools)'}`,
        );
    });
  });

export function parseRouterConfig(input: unknown): ConfigParseResult {
  // reportInput lets a missing field be told apart from a wrong one.
  const result = routerConfigSchema.safeParse(input, { reportInput: true });
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, issues: result.error.issues.map(toConfigIssue) };
}

/** One line per issue, e.g. for an error's `details`: "services[0].listen.port: must be ...". */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
}

function toConfigIssue(issue: z.core.$ZodIssue): ConfigIssue {
  // The schema has no symbol keys.
  const path = formatPath(issue.path as PathSegment[]);
  if (issue.path.length === 0 && issue.code === 'invalid_type')
    return { path, message: 'the config must be a JSON object with generation and services' };
  // A missing field arrives as a wrong type (or enum value) whose input is undefined.
  if (
    (issue.code === 'invalid_type' || issue.code === 'invalid_value') &&
    issue.input === undefined
  )
    return { path, message: 'is required' };
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        path,
        message: `has unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove ${issue.keys.length === 1 ? 'it' : 'them'}`,
      };
    default:
      return { path, message: issue.message };
  }
}
