/**
 * `healthCheck:` and `router:` — how the router decides an instance may take
 * traffic, and where it listens.
 */
import { z } from 'zod';
import { Duration } from '../duration.ts';
import { DEFAULT_HEALTH_CHECK, DEFAULT_ROUTER_DRAIN_TIMEOUT } from '../defaults.ts';
import { duration, port, positiveCount, positiveDuration, whenValid } from './primitives.ts';

export const healthCheck = z
  .strictObject({
    path: z
      .string()
      .startsWith('/', {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a request path; start it with "/", like /healthz.`,
      })
      .default(DEFAULT_HEALTH_CHECK.path),
    interval: positiveDuration.prefault(DEFAULT_HEALTH_CHECK.interval),
    timeout: positiveDuration.prefault(DEFAULT_HEALTH_CHECK.timeout),
    healthyThreshold: positiveCount.default(DEFAULT_HEALTH_CHECK.healthyThreshold),
    unhealthyThreshold: positiveCount.default(DEFAULT_HEALTH_CHECK.unhealthyThreshold),
    startupTimeout: positiveDuration.prefault(DEFAULT_HEALTH_CHECK.startupTimeout),
  })
  .superRefine((value, ctx) => {
    // A probe still waiting when the next one is due would pile up on a slow instance.
    if (Duration.parse(value.timeout).ms > Duration.parse(value.interval).ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeout'],
        params: { specCode: 'SPEC_CONFLICT' },
        message: `the timeout (${value.timeout}) is longer than the interval (${value.interval}); make it at most the interval.`,
      });
    }
  }, whenValid);

export const router = z
  .strictObject({
    listen: port.describe('the port clients connect to'),
    /** A second listener that always reaches the newest pool, for testers. */
    preview: port.optional(),
    drainTimeout: duration.prefault(DEFAULT_ROUTER_DRAIN_TIMEOUT),
  })
  .superRefine((value, ctx) => {
    if (value.preview !== undefined && value.preview === value.listen) {
      ctx.addIssue({
        code: 'custom',
        path: ['preview'],
        params: { specCode: 'SPEC_CONFLICT' },
        message: `the preview port is the same as the listen port (${value.listen}); give the preview listener a port of its own.`,
      });
    }
  }, whenValid);

export type HealthCheckSpec = z.output<typeof healthCheck>;
export type RouterSpec = z.output<typeof router>;
