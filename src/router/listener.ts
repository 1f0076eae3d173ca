import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwitchyardError } from '../errors.ts';
import type { ServiceRoute } from './pools/service-route.ts';
import { answerClientError } from './proxy/client-error.ts';
import { proxyHttpRequest } from './proxy/http-exchange.ts';
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

/**
 * One listening socket of the router. What it serves is a binding (service,
 * kind) and a routing table that `Router.apply` swaps; the socket itself stays
 * open across config changes, so client keep-alive connections are untouched
 * and their next request simply sees the new table.
 */
export class Listener {
  readonly host: string;
  readonly requestedPort: number;
  service: string;
  kind: ListenerKind;
  /** null while closing: requests are answered 503. */
  route: ServiceRoute | null = null;
  readonly #server: http.Server;
  #closeTimer: NodeJS.Timeout | null = null;

  constructor(binding: ListenerBinding, ctx: ProxyContext) {
    this.host = binding.host;
    this.requestedPort = binding.port;
    this.service = binding.service;
    this.kind = binding.kind;
    // Never insecureHTTPParser: llhttp's strict mode is the smuggling defence.
    this.#server = http.createServer({ insecureHTTPParser: false });
    this.#server.on('request', (req, res) => {
      proxyHttpRequest(ctx, this.route, this.kind === ListenerKind.preview, req, res);
    });
    this.#server.on('upgrade', (req, socket, head) => {
      proxyUpgrade({
        ctx,
        route: this.route,
        preview: this.kind === ListenerKind.preview,
        req,
        socket,
        head,
      });
    });
    this.#server.on('clientError', answerClientError);
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
    if (!this.#server.listening) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    if (graceMs <= 0) {
      this.#server.closeAllConnections();
    } else {
      this.#closeTimer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
      this.#closeTimer.unref();
      void closed.then(() => {
        if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
      });
    }
    return closed;
  }
}
