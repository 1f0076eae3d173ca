/** The admin API's request and response shapes, shared by the server and RouterAdminClient. */
import type { InstanceHealthEntry } from '../health/health-checker.ts';
import type { WindowSpanQuery, WindowStats } from '../metrics/rolling-window.ts';
import type { DrainStateEntry, ListeningPort, WaitDrainedResult } from '../router.ts';

export type { WindowSpanQuery, WindowStats };

/** Where the admin API listens: a unix socket, or a loopback TCP port. */
export type AdminAddress =
  { readonly socketPath: string } | { readonly host: string; readonly port: number };

export interface RouterStateView {
  /** The generation of the config being served (0 before the first). */
  readonly generation: number;
  readonly health: readonly InstanceHealthEntry[];
  /** Every instance the data plane knows, active or draining (Router.drainState()). */
  readonly drain: readonly DrainStateEntry[];
  /** The sockets the data plane listens on now. */
  readonly listening: readonly ListeningPort[];
}

/**
 * `GET /window`: one pool's traffic over a span. `seconds` alone (default: the
 * whole window the router keeps, 60 s unless configured) is a live view that
 * includes the current, partial second; `from` and/or `to` ask for complete
 * seconds only (see WindowSpanQuery).
 */
export interface WindowQuery extends WindowSpanQuery {
  readonly service: string;
  readonly pool: string;
}

export interface DrainRequest {
  readonly service: string;
  readonly instanceIds: readonly string[];
  readonly timeoutMs: number;
}

/** Which instances drained and which were still busy at the timeout (Router.waitDrained()). */
export type DrainResult = WaitDrainedResult;

/** The body of every error answer. `code` is an ErrorCode from src/errors.ts. */
export interface AdminErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details: readonly string[];
    /** For an invalid config: each field and what to do. */
    readonly issues?: readonly { readonly path: string; readonly message: string }[];
  };
}
