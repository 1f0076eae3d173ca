import net from 'node:net';
import { LAST_CHUNK, writeChunk } from '../proxy/chunked.ts';
import { ResponseParser, type ResponseSink } from '../proxy/response-parser.ts';
import { writeBatched } from '../proxy/turn-flush.ts';
import { responseTimeoutError } from '../proxy/upstream-failure.ts';
import { CONNECT_TIMEOUT_CODE } from './upstream-agent.ts';

/** How the request body goes upstream. */
export const BodyFraming = {
  /** No body: the request is complete once its head is written. */
  none: 0,
  /** Sent as it comes (the client's Content-Length is forwarded). */
  length: 1,
  /** Re-chunked, as the client sent it chunked. */
  chunked: 2,
} as const;
export type BodyFraming = (typeof BodyFraming)[keyof typeof BodyFraming];

/**
 * The side of an exchange that uses a connection (the proxy's request). The
 * connection calls these methods; apart from `onUpstreamReadDone`, never
 * after it let go of its user (error, abort, or both directions done).
 */
export interface ConnectionUser {
  /** The request line and headers, ending with the blank line (latin1). */
  readonly requestHead: string;
  readonly bodyFraming: BodyFraming;
  /** A HEAD request: the response has no body whatever its headers say. */
  readonly headRequest: boolean;
  /** The head went out on an open connection: the body may follow. */
  onUpstreamConnected(): void;
  onUpstreamHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void;
  /**
   * A piece of the body. `chunk` lives in a read buffer that the next read
   * overwrites: copy what is not consumed at once. `last`: the response is
   * complete with it (onUpstreamComplete follows).
   */
  onUpstreamBody(chunk: Buffer, last: boolean): void;
  /** The whole response arrived. */
  onUpstreamComplete(): void;
  /**
   * One read from the instance is processed: the user may flush what it
   * wrote meanwhile. Called after every read that reached the user, even
   * when the connection let go of it during that read.
   */
  onUpstreamReadDone(): void;
  /** The request body may be written again after `writeBody` returned false. */
  onUpstreamDrain(): void;
  /**
   * The attempt failed before the response was complete: ECONNREFUSED and
   * other socket errors, ECONNRESET for a connection closed early,
   * ECONNTIMEOUT, ERESPONSETIMEOUT, or a ResponseParseError (HPE_*).
   */
  onUpstreamError(error: NodeJS.ErrnoException): void;
}

/** What a connection needs from the pool it belongs to. */
export interface ConnectionOwner {
  readonly host: string;
  readonly port: number;
  /** Idle time after which a pooled connection is closed, before any Keep-Alive hint. */
  readonly idleTimeoutMs: number;
  /** The pool's coarse clock (see UpstreamPool): activity is stamped with it. */
  readonly tick: number;
  /** Both directions of an exchange are done and the connection can carry another. */
  release(connection: UpstreamConnection): void;
  /** The socket closed, whatever the reason. */
  closed(connection: UpstreamConnection): void;
}

/** The time limits a connection is held to, in ticks of its owner's clock. */
export interface TickLimits {
  readonly connect: number;
  readonly response: number;
  readonly ms: number;
}

/**
 * One buffer for every upstream read: a read is parsed and handed on before
 * the next one, so nothing needs its own (see ConnectionUser.onUpstreamBody).
 */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024);

const kConnection = Symbol('switchyard.upstreamConnection');

interface Tagged {
  [kConnection]?: UpstreamConnection;
}

/**
 * One keep-alive TCP connection to an instance, carrying one request at a
 * time (no pipelining). Its socket listeners are set once, when it opens,
 * and reach the connection through a symbol, so a request adds no listener,
 * closure or timer here. The request head is one latin1 string and one
 * write; the response is read into a shared buffer (`onread`, no stream
 * machinery), parsed by ResponseParser and handed to the user. Time limits
 * are checked by the pool's clock (`checkTime`), not per-socket timers.
 */
export class UpstreamConnection implements ResponseSink {
  readonly socket: net.Socket;
  readonly #owner: ConnectionOwner;
  readonly #parser = new ResponseParser();
  /** The exchange using this connection, or null while idle (or once it is closed). */
  user: ConnectionUser | null = null;
  /** The TCP connect finished. */
  connected = false;
  /** The connection carried an earlier exchange: an idle keep-alive connection reused. */
  reused = false;
  /** At least one byte of a response came for the current exchange. */
  responding = false;
  #requestDone = false;
  #responseDone = false;
  #bodyFraming: BodyFraming = BodyFraming.none;
  #idleTimeoutMs: number;
  /** Owner tick of the last sign of life (connect start, read, write, release). */
  #activeTick: number;

  constructor(owner: ConnectionOwner) {
    this.#owner = owner;
    this.#idleTimeoutMs = owner.idleTimeoutMs;
    this.#activeTick = owner.tick;
    const socket = net.createConnection({
      host: owner.host,
      port: owner.port,
      noDelay: true,
      // Per connection, not per request.
      onread: { buffer: READ_BUFFER, callback: (length) => this.#onRead(length) },
    });
    (socket as Tagged)[kConnection] = this;
    socket.once('connect', onConnect);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('drain', onDrain);
    this.socket = socket;
  }

  /** Starts `user`'s exchange: writes the head now if connected, else once the connect finishes. */
  start(user: ConnectionUser): void {
    this.user = user;
    this.responding = false;
    this.#requestDone = false;
    this.#responseDone = false;
    this.#bodyFraming = user.bodyFraming;
    this.#activeTick = this.#owner.tick;
    this.#parser.start(user.headRequest);
    if (this.connected) this.#sendHead(user);
  }

  /** Writes a piece of the request body; false when the socket wants a drain first. */
  writeBody(chunk: Buffer): boolean {
    const socket = this.socket;
    this.#activeTick = this.#owner.tick;
    if (this.#bodyFraming !== BodyFraming.chunked) return socket.write(chunk);
    return writeChunk(socket, chunk);
  }

  /** The request body is complete. */
  endBody(): void {
    if (this.#bodyFraming === BodyFraming.chunked) this.socket.write(LAST_CHUNK, 'latin1');
    this.#requestDone = true;
    if (this.#responseDone) this.#finishExchange();
  }

  /** The user gives up on the exchange (its client went away): the connection is closed. */
  abort(): void {
    this.user = null;
    this.socket.destroy();
  }

  /** Stops reading the response (backpressure from the client). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Closes the connection; a user still on it gets ECONNRESET. */
  destroy(): void {
    this.#fail(socketHangUp());
  }

  /**
   * Called on every tick of the owner's clock: fails a connect or an
   * exchange, or closes an idle connection, that has been quiet too long.
   * A limit is never cut short: `ticks - 1` whole ticks must have passed.
   */
  checkTime(tick: number, limits: TickLimits): void {
    const quietMs = (tick - this.#activeTick - 1) * limits.ms;
    if (this.socket.connecting) {
      if (quietMs >= limits.connect) {
        const error = new Error('connect timed out') as NodeJS.ErrnoException;
        error.code = CONNECT_TIMEOUT_CODE;
        this.#fail(error);
      }
    } else if (this.user !== null) {
      if (quietMs >= limits.response) this.#fail(responseTimeoutError());
    } else if (quietMs >= this.#idleTimeoutMs) {
      this.socket.destroy();
    }
  }

  #sendHead(user: ConnectionUser): void {
    if (user.bodyFraming === BodyFraming.none) {
      // The whole request: it may be batched with the turn's other writes (turn-flush.ts).
      writeBatched(this.socket, user.requestHead);
      this.#requestDone = true;
    } else {
      // The body follows on the next ticks: the head must go first, now.
      this.socket.write(user.requestHead, 'latin1');
    }
    user.onUpstreamConnected();
  }

  // ResponseSink: called by the parser during `execute`.

  onResponseHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void {
    this.user?.onUpstreamHead(statusCode, statusMessage, rawHeaders);
  }

  onResponseBody(chunk: Buffer, last: boolean): void {
    this.user?.onUpstreamBody(chunk, last);
  }

  // Socket events (through the module-level listeners below).

  connectDone(): void {
    this.connected = true;
    this.#activeTick = this.#owner.tick;
    const user = this.user;
    if (user !== null) this.#sendHead(user);
  }

  /** `onread`: `length` bytes are in READ_BUFFER. True: keep reading (pause() may still stop it). */
  #onRead(length: number): boolean {
    this.read(READ_BUFFER.subarray(0, length));
    return true;
  }

  read(data: Buffer): void {
    const user = this.user;
    if (user === null) {
      // Bytes on an idle connection answer nothing we sent: it is out of step.
      this.socket.destroy();
      return;
    }
    this.responding = true;
    this.#activeTick = this.#owner.tick;
    let complete: boolean;
    try {
      complete = this.#parser.execute(data, this);
    } catch (error) {
      this.#fail(error as NodeJS.ErrnoException);
      user.onUpstreamReadDone();
      return;
    }
    if (this.user === user && complete) this.#responseComplete(user);
    user.onUpstreamReadDone();
  }

  ended(): void {
    const user = this.user;
    if (user === null) {
      this.socket.destroy();
      return;
    }
    if (!this.#responseDone && this.#parser.readsUntilClose) {
      this.#parser.finish();
      this.#responseComplete(user);
      user.onUpstreamReadDone();
      return;
    }
    this.#fail(socketHangUp());
  }

  failed(error: NodeJS.ErrnoException): void {
    this.#fail(error);
  }

  closedNow(): void {
    if (this.user !== null) this.#fail(socketHangUp());
    this.#owner.closed(this);
  }

  drained(): void {
    this.user?.onUpstreamDrain();
  }

  #responseComplete(user: ConnectionUser): void {
    this.#responseDone = true;
    const parser = this.#parser;
    if (!parser.keepAlive || parser.trailingBytes) this.#idleTimeoutMs = 0;
    else if (parser.keepAliveTimeoutMs >= 0) {
      // Drop it a second before the instance says it will (as Node's agent does).
      this.#idleTimeoutMs = Math.min(this.#idleTimeoutMs, parser.keepAliveTimeoutMs - 1000);
    }
    if (this.#requestDone) this.#finishExchange();
    user.onUpstreamComplete();
  }

  #finishExchange(): void {
    this.user = null;
    const socket = this.socket;
    if (this.#idleTimeoutMs <= 0 || socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    this.reused = true;
    this.#activeTick = this.#owner.tick;
    if (socket.isPaused()) socket.resume();
    this.#owner.release(this);
  }

  #fail(error: NodeJS.ErrnoException): void {
    const user = this.user;
    this.user = null;
    this.socket.destroy();
    // After the whole response, a late error (the request body could not
    // finish) concerns no one: the exchange has its answer.
    if (user !== null && !this.#responseDone) user.onUpstreamError(error);
  }
}

/** What Node's http client reports for a connection closed before the response: ECONNRESET. */
function socketHangUp(): NodeJS.ErrnoException {
  const error = new Error('socket hang up') as NodeJS.ErrnoException;
  error.code = 'ECONNRESET';
  return error;
}

function connectionOf(socket: net.Socket): UpstreamConnection {
  return (socket as Tagged)[kConnection] as UpstreamConnection;
}

function onConnect(this: net.Socket): void {
  connectionOf(this).connectDone();
}

function onEnd(this: net.Socket): void {
  connectionOf(this).ended();
}

function onError(this: net.Socket, error: NodeJS.ErrnoException): void {
  connectionOf(this).failed(error);
}

function onClose(this: net.Socket): void {
  connectionOf(this).closedNow();
}

function onDrain(this: net.Socket): void {
  connectionOf(this).drained();
}
