import type { Duplex } from 'node:stream';
import type { InstanceObserver } from '../observer.ts';
import { UpstreamAgent } from './upstream-agent.ts';
import { UpstreamPool } from './upstream-pool.ts';

export interface UpstreamOptions {
  readonly service: string;
  readonly pool: string;
  readonly instanceId: string;
  readonly host: string;
  readonly port: number;
  readonly observer: InstanceObserver;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
}

export interface DrainOptions {
  readonly timeoutMs: number;
  /** Called once, when the instance is idle or the timeout forced it closed. */
  readonly onDrained: (upstream: Upstream) => void;
}

/**
 * One instance of one pool, as the proxy sees it: where it is, its keep-alive
 * connections (a raw-socket pool for requests, an http.Agent for WebSocket
 * handshakes), its observer handle and the counts that decide when it is drained.
 * The same object lives across config changes while the instance stays in its
 * pool, so counts and warm sockets survive a weight change.
 */
export class Upstream {
  readonly service: string;
  readonly pool: string;
  readonly instanceId: string;
  readonly host: string;
  readonly port: number;
  readonly observer: InstanceObserver;
  /** Keep-alive connections for proxied requests. */
  readonly connections: UpstreamPool;
  /** For WebSocket handshakes, which are rare next to requests. */
  readonly agent: UpstreamAgent;
  /** Client sockets of WebSockets tunnelled to this instance. */
  readonly websockets = new Set<Duplex>();
  inFlight = 0;
  openSockets = 0;
  draining = false;
  drained = false;
  #drain: DrainOptions | null = null;
  #drainTimer: NodeJS.Timeout | null = null;

  constructor(options: UpstreamOptions) {
    this.service = options.service;
    this.pool = options.pool;
    this.instanceId = options.instanceId;
    this.host = options.host;
    this.port = options.port;
    this.observer = options.observer;
    const onSocketOpened = (): void => {
      this.openSockets++;
      this.observer.connectionOpened();
    };
    const onSocketClosed = (): void => {
      this.openSockets--;
      this.observer.connectionClosed();
    };
    this.connections = new UpstreamPool({
      host: options.host,
      port: options.port,
      connectTimeoutMs: options.connectTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      onSocketOpened,
      onSocketClosed,
    });
    this.agent = new UpstreamAgent({
      connectTimeoutMs: options.connectTimeoutMs,
      onSocketOpened,
      onSocketClosed,
    });
  }

  requestStarted(): void {
    this.inFlight++;
    this.observer.requestStarted();
  }

  requestFinished(status: number, durationSeconds: number): void {
    this.inFlight--;
    this.observer.requestFinished(status, durationSeconds);
    if (this.draining) this.#drainIfIdle();
  }

  /** The attempt could not connect and moves to another instance (see InstanceObserver.retried). */
  attemptRetried(): void {
    this.inFlight--;
    this.observer.retried();
    if (this.draining) this.#drainIfIdle();
  }

  websocketOpened(clientSocket: Duplex): void {
    this.websockets.add(clientSocket);
    this.observer.websocketOpened();
  }

  websocketClosed(clientSocket: Duplex): void {
    if (!this.websockets.delete(clientSocket)) return;
    this.observer.websocketClosed();
    if (this.draining) this.#drainIfIdle();
  }

  /** No new requests reach it any more: finish what is in flight, then report. */
  startDrain(options: DrainOptions): void {
    if (this.draining) return;
    this.draining = true;
    this.#drain = options;
    this.#drainTimer = setTimeout(() => this.#finishDrain(), options.timeoutMs);
    this.#drainTimer.unref();
    this.#drainIfIdle();
  }

  /** Closes everything at once: its tunnels, its sockets (in-flight requests fail). */
  destroy(): void {
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
    this.#drainTimer = null;
    for (const socket of this.websockets) socket.destroy();
    this.connections.destroy();
    this.agent.destroy();
  }

  #drainIfIdle(): void {
    if (this.inFlight === 0 && this.websockets.size === 0) this.#finishDrain();
  }

  #finishDrain(): void {
    if (this.drained) return;
    this.drained = true;
    this.destroy();
    this.#drain?.onDrained(this);
  }
}
