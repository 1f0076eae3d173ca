import type { Logger } from 'pino';
import type { HealthView, RequestObserver } from '../observer.ts';

/** What every proxied request shares; one per Router. */
export interface ProxyContext {
  readonly health: HealthView;
  readonly observer: RequestObserver;
  /** Idle time allowed while waiting for, and reading, an upstream response. */
  readonly responseTimeoutMs: number;
  readonly logger: Logger | undefined;
}
