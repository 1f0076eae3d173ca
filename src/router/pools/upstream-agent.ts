import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Error code of a connect that did not finish within the connect timeout. */
export const CONNECT_TIMEOUT_CODE = 'ECONNTIMEOUT';

/**
 * How long an idle upstream connection is kept for reuse. Below the 5 s that
 * Node's http server (and many others) keep an idle connection open, so the
 * router normally drops it first rather than reusing one the instance is
 * closing. A `Keep-Alive: timeout=N` answer from the instance shortens it
 * further (to N - 1 s, as Node's agent does). A connection the instance
 * closes anyway as it is reused is retried on a fresh one (http-exchange.ts).
 * Used by UpstreamPool and UpstreamAgent alike.
 */
export const IDLE_SOCKET_TIMEOUT_MS = 4000;

export interface UpstreamAgentOptions {
  readonly connectTimeoutMs: number;
  /** Called once per upstream socket opened and once when it closes. */
  readonly onSocketOpened: () => void;
  readonly onSocketClosed: () => void;
}

/**
 * A keep-alive http.Agent for one upstream instance, for WebSocket handshakes
 * (proxied requests use UpstreamPool's own connections). It adds what http.Agent
 * lacks: a connect timeout (a socket that is still connecting when it fires is
 * destroyed with ECONNTIMEOUT, which the proxy treats as a connect failure)
 * and a count of open sockets for drain reporting. The listeners here are per
 * socket, not per request.
 */
export class UpstreamAgent extends http.Agent {
  readonly #options: UpstreamAgentOptions;

  constructor(options: UpstreamAgentOptions) {
    // LIFO keeps the fewest sockets warm under uneven load. `timeout` is the
    // idle time after which a pooled socket is closed (requests set their own).
    super({
      keepAlive: true,
      scheduling: 'lifo',
      maxFreeSockets: 256,
      timeout: IDLE_SOCKET_TIMEOUT_MS,
    });
    this.#options = options;
  }

  /** Closes every idle pooled socket, so that the next request opens a fresh connection. */
  dropIdleSockets(): void {
    for (const sockets of Object.values(this.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }

  override createConnection(options: http.ClientRequestArgs): Duplex {
    const socket = net.createConnection(options as net.NetConnectOpts);
    socket.setTimeout(this.#options.connectTimeoutMs);
    socket.once('connect', onConnected);
    socket.on('timeout', onTimeout);
    this.#options.onSocketOpened();
    socket.once('close', this.#options.onSocketClosed);
    return socket;
  }
}

function onConnected(this: net.Socket): void {
  // The request sets its own response timeout right after this listener.
  this.setTimeout(0);
}

function onTimeout(this: net.Socket): void {
  if (!this.connecting) return;
  const error = new Error('connect timed out') as NodeJS.ErrnoException;
  error.code = CONNECT_TIMEOUT_CODE;
  this.destroy(error);
}
