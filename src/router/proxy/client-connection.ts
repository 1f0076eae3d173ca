import { maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';
import type { ServiceRoute } from '../pools/service-route.ts';
import { closingAnswer } from './client-error.ts';
import { proxyHttpRequest } from './http-exchange.ts';
import type { ProxyContext } from './proxy-context.ts';
import { RawClientResponse, type ResponseConnection } from './raw-client-response.ts';
import { parseSimpleRequest } from './simple-request.ts';

/** What a client connection needs from its listener. */
export interface ClientConnectionHost {
  readonly ctx: ProxyContext;
  /** Read once per request; null while the listener closes. */
  readonly route: ServiceRoute | null;
  readonly preview: boolean;
  /** Gives the socket to Node's HTTP server, the bytes read but not served first. */
  handOver(socket: Socket): void;
  /** The connection is closed or handed over. */
  forget(connection: ClientConnection): void;
}

const kConnection = Symbol('switchyard.clientConnection');

interface Tagged {
  [kConnection]?: ClientConnection;
}

const HEAD_END = '\r\n\r\n';

/**
 * A client connection on the router's own path. Node's HTTP server (llhttp,
 * IncomingMessage, ServerResponse) costs more CPU per request than the rest
 * of the proxy together; most requests are small GETs without a body, and
 * for those the router reads the head itself (simple-request.ts) and writes
 * the response itself (raw-client-response.ts).
 *
 * The first request on the connection that is not simple — a body, an
 * upgrade, HTTP/1.0, anything unusual or malformed — hands the whole
 * connection to Node's HTTP server, with the bytes not yet served put back in
 * front of the stream, at a moment when no response is under way. From then
 * on llhttp parses it, serves it or refuses it exactly as it did before this
 * path existed.
 *
 * Requests are answered in order, one at a time: a pipelined request waits
 * in `#unread` until the response before it is over.
 */
export class ClientConnection implements ResponseConnection {
  readonly socket: Socket;
  readonly #host: ClientConnectionHost;
  readonly #remoteAddress: string;
  /** Bytes read and not served yet (the start of the next request). */
  #unread: Buffer | null = null;
  #response: RawClientResponse | null = null;
  closing = false;
  /**
   * performance.now() when the connection last became idle, or when the
   * first bytes of a head came while it was idle: the keep-alive and
   * header timeouts count from there.
   */
  idleSince: number;

  constructor(socket: Socket, host: ClientConnectionHost) {
    this.socket = socket;
    this.#host = host;
    this.#remoteAddress = socket.remoteAddress ?? '';
    this.idleSince = performance.now();
    (socket as Tagged)[kConnection] = this;
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
  }

  get busy(): boolean {
    return this.#response !== null;
  }

  closeAfterResponse(): void {
    this.closing = true;
  }

  received(chunk: Buffer): void {
    if (this.#unread === null) {
      this.#unread = chunk;
      if (this.#response === null) this.idleSince = performance.now();
    } else {
      this.#unread = Buffer.concat([this.#unread, chunk]);
    }
    if (this.#response === null) {
      this.#serve();
    } else if (this.#unread.length > maxHeaderSize) {
      // A pipelining client far ahead: stop reading until we catch up.
      this.socket.pause();
    }
  }

  #serve(): void {
    while (this.#response === null && this.#unread !== null && !this.socket.destroyed) {
      const unread = this.#unread;
      const end = unread.indexOf(HEAD_END, 0, 'latin1');
      if (end < 0) {
        if (unread.length > maxHeaderSize) this.#handOver();
        return;
      }
      const request =
        end + 4 > maxHeaderSize ? null : parseSimpleRequest(unread.toString('latin1', 0, end + 2));
      if (request === null) {
        this.#handOver();
        return;
      }
      this.#unread = end + 4 < unread.length ? unread.subarray(end + 4) : null;
      if (request.close) this.closing = true;
      const response = new RawClientResponse(this, request.method === 'HEAD');
      this.#response = response;
      proxyHttpRequest(
        this.#host.ctx,
        this.#host.route,
        this.#host.preview,
        {
          method: request.method,
          url: request.url,
          rawHeaders: request.rawHeaders,
          remoteAddress: this.#remoteAddress,
          body: null,
        },
        response,
      );
    }
  }

  responseOver(response: RawClientResponse): void {
    if (this.#response !== response) return;
    this.#response = null;
    this.idleSince = performance.now();
    if (this.socket.destroyed) return;
    if (this.closing) {
      this.socket.end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (this.#unread !== null) this.#serve();
  }

  /**
   * The client sent its FIN. As Node's server does (httpAllowHalfOpen off),
   * a response under way is given up (the client is counted as gone, 499)
   * and the connection ends; so does a head cut off by the end.
   */
  ended(): void {
    const response = this.#response;
    this.#response = null;
    response?.clientGone();
    this.socket.end();
  }

  closed(): void {
    this.#host.forget(this);
    this.#response?.clientGone();
  }

  /**
   * Called about once a second by the listener: an idle connection closes
   * after `keepAliveMs`, and a head that has not come whole after
   * `headersMs` gets a 408 (Node's server does the same for its own).
   */
  checkTimeouts(now: number, keepAliveMs: number, headersMs: number): void {
    if (this.#response !== null || this.socket.destroyed) return;
    const idle = now - this.idleSince;
    if (this.#unread === null) {
      if (idle > keepAliveMs) this.socket.destroy();
    } else if (idle > headersMs) {
      this.#unread = null;
      this.socket.end(closingAnswer(408, 'Request Timeout\n'));
      this.socket.destroySoon();
    }
  }

  #handOver(): void {
    const socket = this.socket;
    const unread = this.#unread;
    this.#unread = null;
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('close', onClose);
    socket.removeListener('error', onError);
    delete (socket as Tagged)[kConnection];
    this.#host.forget(this);
    if (unread !== null) socket.unshift(unread);
    this.#host.handOver(socket);
  }
}

function onData(this: Socket, chunk: Buffer): void {
  (this as Tagged)[kConnection]?.received(chunk);
}

function onEnd(this: Socket): void {
  (this as Tagged)[kConnection]?.ended();
}

function onClose(this: Socket): void {
  (this as Tagged)[kConnection]?.closed();
}

function onError(): void {
  // 'close' follows and says what matters.
}
