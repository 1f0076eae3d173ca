/**
 * The seam between the data plane (proxy) and what watches it (Prometheus
 * metrics, the rolling per-pool window the analysis reads, health).
 *
 * The proxy asks once per instance for an `InstanceObserver` and keeps it on
 * its instance object, so the hot path does no label lookups or allocation:
 * it calls `requestStarted()` / `requestFinished(status, seconds)` on a
 * handle it already holds.
 */

export interface InstanceObserver {
  requestStarted(): void;
  /**
   * `status` is the HTTP status sent to the client (502/504 for proxy
   * failures; a 503 for lack of a healthy instance goes to `noUpstream`).
   */
  requestFinished(status: number, durationSeconds: number): void;
  connectionOpened(): void;
  connectionClosed(): void;
  websocketOpened(): void;
  websocketClosed(): void;
  /**
   * The attempt that `requestStarted()` opened ended without a response
   * because the instance could not be reached, and the request is being
   * retried on another instance. It is not a finished request: the client
   * never saw a failure, so it must not count against this pool's error rate.
   */
  retried(): void;
}

export interface RequestObserver {
  forInstance(key: { service: string; pool: string; instanceId: string }): InstanceObserver;
  /** Requests that found no healthy instance in any pool (answered 503). */
  noUpstream(service: string): void;
  /** The instance left the config: drop its series after the drain. */
  forget(key: { service: string; pool: string; instanceId: string }): void;
}

/** What the proxy needs to know about health; implemented by the health checker. */
export interface HealthView {
  /** True only for instances that passed their active checks and are not ejected. */
  isHealthy(service: string, instanceId: string): boolean;
  /** Passive ejection: the proxy could not connect to the instance. */
  reportConnectFailure(service: string, instanceId: string): void;
}
