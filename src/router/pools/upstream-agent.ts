import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Error code of a connect that did not finish within the connect timeout. */
export const CONNECT_TIMEOUT_CODE = 'ECONNTIMEOUT';

export interface UpstreamAgentOptions {
  readonly connectTimeoutMs: number;
  /** Called once per upstream socket opened and once when it closes. */
  readonly onSocketOpened: () => void;
  readonly onSocketClosed: () => void;
}

/**
 * A keep-alive http.Agent for one upstream instance. It adds what http.Agent
 * lacks: a connect timeout (a socket that is still connecting when it fires is
 * destroyed with ECONNTIMEOUT, which the proxy treats as a connect failure)
 * and a count of open sockets for drain reporting. The listeners here are per
 * socket, not per request.
 */
export class UpstreamAgent extends http.Agent {
  readonly #options: UpstreamAgentOptions;

  constructor(options: UpstreamAgentOptions) {
    // LIFO keeps the fewest sockets warm under uneven load.
    super({ keepAlive: true, scheduling: 'lifo', maxFreeSockets: 256 });
    this.#options = options;
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
