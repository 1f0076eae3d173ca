/**
 * The spec text of the system tests' worlds (test/system/controller-harness.ts
 * with processes, test/system/container-world.ts with containers) and of the
 * canary benchmark: one service on a router's listen and preview ports,
 * health checked every 200 ms, blue/green with a 1 s scale-down delay unless
 * a test says otherwise. Each world brings its own runtime lines.
 */

/** What a world's spec is for: fixed for the world's life. */
export interface WorldSpecTarget {
  readonly service: string;
  /** The `runtime` lines, e.g. `runtime: { type: process, command: "…" }`. */
  readonly runtime: readonly string[];
  readonly listen: number;
  readonly preview: number;
}

/** What a test may change in its world's spec. */
export interface WorldSpecOptions {
  /** Default `{ blueGreen: { scaleDownDelay: 1s } }`. */
  readonly strategy?: string;
  /** The health check's startupTimeout; default 60s. */
  readonly startupTimeout?: string;
  /** Default 2. */
  readonly replicas?: number;
  /** Extra top-level spec lines, e.g. `env: { FAIL_RATE: "0.2" }`. */
  readonly extra?: string;
}

export function worldSpecText(target: WorldSpecTarget, options: WorldSpecOptions = {}): string {
  return [
    `service: ${target.service}`,
    ...target.runtime,
    `replicas: ${options.replicas ?? 2}`,
    `healthCheck: { interval: 200ms, timeout: 150ms, healthyThreshold: 2, startupTimeout: ${options.startupTimeout ?? '60s'} }`,
    `router: { listen: ${target.listen}, preview: ${target.preview}, drainTimeout: 5s }`,
    `strategy: ${options.strategy ?? '{ blueGreen: { scaleDownDelay: 1s } }'}`,
    options.extra ?? '',
  ].join('\n');
}
