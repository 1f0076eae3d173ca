/**
 * The health of one instance as a small state machine, free of I/O and timers:
 * probe results and passive ejections go in, a change (or none) comes out.
 */

/** Why an instance is in its current state; the vocabulary `status` and events use. */
export const HealthReason = {
  /** Not checked yet: a new instance gets no traffic until it passes. */
  new: 'new',
  /** Trusted from the snapshot saved with the last config, while it is re-checked. */
  restored: 'restored',
  /** Passed `healthyThreshold` checks in a row. */
  passed: 'passed',
  /** Failed `unhealthyThreshold` checks in a row. */
  failed: 'failed',
  /** Passive: the proxy could not connect to it; needs `healthyThreshold` passes again. */
  ejected: 'ejected',
} as const;
export type HealthReason = (typeof HealthReason)[keyof typeof HealthReason];

export interface Thresholds {
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface HealthTransition {
  readonly healthy: boolean;
  readonly reason: HealthReason;
  readonly detail: string;
}

export class InstanceHealth {
  healthy: boolean;
  reason: HealthReason;
  /** The last probe's or ejection's detail, e.g. "status 503". */
  detail: string;
  private passes = 0;
  private failures = 0;

  constructor(options: { trusted: boolean }) {
    this.healthy = options.trusted;
    this.reason = options.trusted ? HealthReason.restored : HealthReason.new;
    this.detail = options.trusted ? 'healthy when the config was saved' : 'not checked yet';
  }

  recordProbe(ok: boolean, detail: string, thresholds: Thresholds): HealthTransition | null {
    this.detail = detail;
    if (ok) {
      this.failures = 0;
      this.passes++;
      if (!this.healthy && this.passes >= thresholds.healthyThreshold)
        return this.become(true, HealthReason.passed);
      return null;
    }
    this.passes = 0;
    this.failures++;
    if (this.healthy && this.failures >= thresholds.unhealthyThreshold)
      return this.become(false, HealthReason.failed);
    return null;
  }

  /** Passive ejection takes effect at once and restarts the count toward healthy. */
  eject(detail: string): HealthTransition | null {
    this.passes = 0;
    this.failures = 0;
    this.detail = detail;
    if (!this.healthy) return null;
    return this.become(false, HealthReason.ejected);
  }

  private become(healthy: boolean, reason: HealthReason): HealthTransition {
    this.healthy = healthy;
    this.reason = reason;
    this.passes = 0;
    this.failures = 0;
    return { healthy, reason, detail: this.detail };
  }
}
