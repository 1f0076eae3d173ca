/**
 * Every default the spec fills in, in one place (STYLE.md §6), so docs, the
 * JSON Schema and the resolved spec agree. Durations are canonical strings
 * because the resolved spec keeps them as strings.
 */

/** The environment name of a spec resolved without `--env`. */
export const DEFAULT_ENVIRONMENT = 'default';

/** The port the app listens on when the spec does not say. */
export const DEFAULT_PORT = 3000;
export const DEFAULT_REPLICAS = 1;

export const DEFAULT_HEALTH_CHECK = {
  path: '/healthz',
  interval: '1s',
  timeout: '500ms',
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  startupTimeout: '1m',
} as const;

export const DEFAULT_ROUTER_DRAIN_TIMEOUT = '30s';

/** With no `strategy`, replace instances one at a time, never going below the replica count. */
export const DEFAULT_ROLLING = {
  maxSurge: 1,
  maxUnavailable: 0,
  minHealthyTime: '0s',
  progressDeadline: '10m',
  autoRevert: true,
} as const;

/** A client keeps its pool as the canary weight grows (issue 4: sticky by default). */
export const DEFAULT_CANARY_STICKY = true;

export const DEFAULT_BLUE_GREEN = {
  scaleDownDelay: '30s',
} as const;

export const DEFAULT_ANALYSIS_TEMPLATE = {
  interval: '10s',
  count: 6,
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  minRequests: 0,
} as const;

/** A `compareWithStable` metric's defaults; docs/analysis.md explains each. */
export const DEFAULT_COMPARE_WITH_STABLE = {
  errorRate: true,
  latency: true,
  confidence: 0.99,
  minRequests: 20,
} as const;

/**
 * Nothing is pulled unless the spec asks: a deploy runs an image built or
 * loaded on the engine, and a missing one is a clear error, not a download.
 */
export const DEFAULT_CONTAINER = {
  stopTimeout: '30s',
  pull: 'never',
} as const;

export const DEFAULT_SSH_PORT = 22;

export const DEFAULT_NOTIFICATION_REFIRE_AFTER = '15m';

/** Variables Switchyard sets for every instance (DESIGN.md); `env` and `secrets` may not set them. */
export const RESERVED_ENV_NAMES = [
  'PORT',
  'SWITCHYARD_SERVICE',
  'SWITCHYARD_ENV',
  'SWITCHYARD_VERSION',
  'SWITCHYARD_REVISION',
  'SWITCHYARD_POOL',
  'SWITCHYARD_INSTANCE',
] as const;
