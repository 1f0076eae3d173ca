import { IDLE_SOCKET_TIMEOUT_MS } from './upstream-agent.ts';
import {
  UpstreamConnection,
  type ConnectionOwner,
  type TickLimits,
} from './upstream-connection.ts';

export interface UpstreamPoolOptions {
  readonly host: string;
  readonly port: number;
  /** Time allowed for a TCP connect (then ECONNTIMEOUT, a connect failure). */
  readonly connectTimeoutMs: number;
  /** Quiet time allowed while waiting for, and reading, a response (then ERESPONSETIMEOUT). */
  readonly responseTimeoutMs: number;
  /** Called once per connection opened and once when it closes. */
  readonly onSocketOpened: () => void;
  readonly onSocketClosed: () => void;
}

/** Idle connections kept per instance (http.Agent's maxFreeSockets was 256 too); more are closed. */
const MAX_IDLE = 256;

/** The clock ticks at most this far apart, and at least 8 times per shortest limit. */
const MAX_TICK_MS = 250;
const MIN_TICK_MS = 5;

/**
 * The keep-alive connections to one instance, for proxied requests
 * (WebSocket handshakes go through UpstreamAgent). Idle connections are
 * reused last-in first-out, which keeps the fewest warm under uneven load;
 * there is no cap on open connections (as with http.Agent's default) and at
 * most MAX_IDLE idle ones. An idle connection closes
 * after IDLE_SOCKET_TIMEOUT_MS, or a second before the instance's own
 * `Keep-Alive: timeout=N`; one the instance closes while idle leaves the pool.
 *
 * Time limits (connect, response, idle) run on one coarse clock per pool
 * instead of a timer per socket that every request would re-arm: a tick
 * every `min(limits) / 8` ms (5..250 ms) while the pool has connections,
 * and a connection stamps the tick of its last activity. A limit fires
 * between its value and one tick later, never before.
 */
export class UpstreamPool implements ConnectionOwner {
  readonly host: string;
  readonly port: number;
  readonly idleTimeoutMs = IDLE_SOCKET_TIMEOUT_MS;
  tick = 0;
  readonly #limits: TickLimits;
  readonly #onSocketOpened: () => void;
  readonly #onSocketClosed: () => void;
  /** Idle connections, the most recently used last. */
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();
  #clock: NodeJS.Timeout | null = null;

  constructor(options: UpstreamPoolOptions) {
    this.host = options.host;
    this.port = options.port;
    const shortest = Math.min(
      options.connectTimeoutMs,
      options.responseTimeoutMs,
      IDLE_SOCKET_TIMEOUT_MS,
    );
    this.#limits = {
      connect: options.connectTimeoutMs,
      response: options.responseTimeoutMs,
      ms: Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.floor(shortest / 8))),
    };
    this.#onSocketOpened = options.onSocketOpened;
    this.#onSocketClosed = options.onSocketClosed;
  }

  /** Open connections, idle or busy. */
  get size(): number {
    return this.#all.size;
  }

  /**
   * The most recently used idle connection, or a new one (connecting); the
   * caller starts its exchange on it with `start` at once.
   */
  acquire(): UpstreamConnection {
    let connection = this.#idle.pop();
    // One the instance closed meanwhile is on its way out: never hand it out.
    while (connection !== undefined && connection.socket.destroyed) connection = this.#idle.pop();
    if (connection === undefined) {
      connection = new UpstreamConnection(this);
      this.#all.add(connection);
      this.#onSocketOpened();
      if (this.#clock === null) {
        this.#clock = setInterval(() => this.#onTick(), this.#limits.ms);
        this.#clock.unref();
      }
    }
    return connection;
  }

  /** Closes every idle connection, so that the next request opens a fresh one. */
  dropIdle(): void {
    for (const connection of this.#idle.splice(0)) connection.socket.destroy();
  }

  /** Closes every connection; exchanges still on one fail with ECONNRESET. */
  destroy(): void {
    this.#idle.length = 0;
    for (const connection of [...this.#all]) connection.destroy();
  }

  release(connection: UpstreamConnection): void {
    if (this.#idle.length >= MAX_IDLE) connection.socket.destroy();
    else this.#idle.push(connection);
  }

  closed(connection: UpstreamConnection): void {
    if (!this.#all.delete(connection)) return;
    const at = this.#idle.lastIndexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    if (this.#all.size === 0 && this.#clock !== null) {
      clearInterval(this.#clock);
      this.#clock = null;
    }
    this.#onSocketClosed();
  }

  #onTick(): void {
    const tick = ++this.tick;
    for (const connection of this.#all) connection.checkTime(tick, this.#limits);
  }
}
