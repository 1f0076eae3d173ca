import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SwitchyardError } from '../errors.ts';
import type { ServiceRoute } from './pools/service-route.ts';
import { ClientConnection, type ClientConnectionHost } from './proxy/client-connection.ts';
import { answerClientError } from './proxy/client-error.ts';
import { proxyHttpRequest } from './proxy/http-exchange.ts';
import { NodeClientResponse } from './proxy/node-client-response.ts';
import type { ProxyContext } from './proxy/proxy-context.ts';
import { proxyUpgrade } from './proxy/websocket-tunnel.ts';

export const ListenerKind = { listen: 'listen', preview: 'preview' } as const;
export type ListenerKind = (typeof ListenerKind)[keyof typeof ListenerKind];

export interface ListenerBinding {
  readonly service: string;
  readonly kind: ListenerKind;
  readonly host: string;
  /** 0 asks the OS for a free port. */
  readonly port: number;
}

/** How often idle connections of the router's own path are checked for their timeouts. */
const TIMEOUT_SWEEP_MS = 1_000;

/**
 * One listening socket of the router. What it serves is a binding (service,
 * kind) and a routing table that `Router.apply` swaps; the socket itself stays
 * open across config changes, so client keep-alive connections are untouched
 * and their next request simply sees the new table.
 *
 * A new connection starts on the router's own path (client-connection.ts)
 * and moves to Node's HTTP server at its first request that path does not
 * take; the server's own keep-alive and header timeouts apply on both.
 */
export class Listener implements ClientConnectionHost {
  readonly host: string;
  readonly requestedPort: number;
  service: string;
  kind: ListenerKind;
  /** null while closing: requests are answered 503. */
  route: ServiceRoute | null = null;
  readonly ctx: ProxyContext;
  readonly #server: http.Server;
  /** Node's HTTP server's own handler of a new connection. */
  readonly #nodeConnection: (socket: Socket) => void;
  /** Connections on the router's own path. */
  readonly #connections = new Set<ClientConnection>();
  #sweepTimer: NodeJS.Timeout | null = null;
  #closeTimer: NodeJS.Timeout | null = null;

  constructor(binding: ListenerBinding, ctx: ProxyContext) {
    this.host = binding.host;
    this.requestedPort = binding.port;
    this.service = binding.service;
    this.kind = binding.kind;
    this.ctx = ctx;
    // Never insecureHTTPParser: llhttp's strict mode is the smuggling defence
    // for every request the router's own path does not take.
    this.#server = http.createServer({ insecureHTTPParser: false });
    // Every accepted socket comes to us first; Node's handler gets it on hand-over.
    const [nodeConnection] = this.#server.listeners('connection') as [(socket: Socket) => void];
    this.#nodeConnection = nodeConnection;
    this.#server.removeListener('connection', nodeConnection);
    this.#server.on('connection', (socket: Socket) => {
      this.#connections.add(new ClientConnection(socket, this));
    });
    this.#server.on('request', (req, res) => {
      proxyHttpRequest(
        ctx,
        this.route,
        this.preview,
        {
          method: req.method as string,
          url: req.url as string,
          rawHeaders: req.rawHeaders,
          remoteAddress: req.socket.remoteAddress ?? '',
          body: req,
        },
        new NodeClientResponse(res),
      );
    });
    this.#server.on('upgrade', (req, socket, head) => {
      proxyUpgrade({
        ctx,
        route: this.route,
        preview: this.preview,
        req,
        socket,
        head,
      });
    });
    this.#server.on('clientError', answerClientError);
  }

  get preview(): boolean {
    return this.kind === ListenerKind.preview;
  }

  handOver(socket: Socket): void {
    this.#nodeConnection.call(this.#server, socket);
  }

  forget(connection: ClientConnection): void {
    this.#connections.delete(connection);
  }

  #sweep(): void {
    const now = performance.now();
    const keepAliveMs = this.#server.keepAliveTimeout;
    const headersMs = this.#server.headersTimeout;
    for (const connection of this.#connections)
      connection.checkTimeouts(now, keepAliveMs, headersMs);
  }

  get port(): number {
    const address = this.#server.address() as AddressInfo | null;
    return address === null ? this.requestedPort : address.port;
  }

  /** Binds the socket; a port already taken is ROUTER_PORT_IN_USE. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        this.#server.removeListener('listening', onListening);
        if (error.code === 'EADDRINUSE') {
          reject(
            new SwitchyardError(
              'ROUTER_PORT_IN_USE',
              `Port ${this.requestedPort} on ${this.host} is already in use; ` +
                `free it or give ${this.service} another ${this.kind} port.`,
              { cause: error },
            ),
          );
        } else {
          reject(error);
        }
      };
      const onListening = (): void => {
        this.#server.removeListener('error', onError);
        this.#sweepTimer = setInterval(() => this.#sweep(), TIMEOUT_SWEEP_MS);
        this.#sweepTimer.unref();
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen({ host: this.host, port: this.requestedPort });
    });
  }

  /**
   * Stops accepting. Requests already running finish; keep-alive connections
   * are closed once idle, and all of them after `graceMs` at the latest.
   */
  close(graceMs: number): Promise<void> {
    this.route = null;
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    if (!this.#server.listening) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    for (const connection of this.#connections) {
      if (connection.busy) connection.closeAfterResponse();
      else connection.socket.destroy();
    }
    const closeAll = (): void => {
      this.#server.closeAllConnections();
      for (const connection of this.#connections) connection.socket.destroy();
    };
    if (graceMs <= 0) {
      closeAll();
    } else {
      this.#closeTimer = setTimeout(closeAll, graceMs);
      this.#closeTimer.unref();
      void closed.then(() => {
        if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
      });
    }
    return closed;
  }
}
