import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { stickyCookieHeader } from '../pools/sticky.ts';
import type { ServiceRoute, SelectionFacts } from '../pools/service-route.ts';
import type { Upstream } from '../pools/upstream.ts';
import {
  BodyFraming,
  type ConnectionUser,
  type UpstreamConnection,
} from '../pools/upstream-connection.ts';
import type { ClientRequest, ClientResponse, ClientResponseUser } from './client-response.ts';
import type { ProxyContext } from './proxy-context.ts';
import {
  MORE_THAN_ONE_HOST,
  requestHead,
  upstreamRequestHeaders,
  type RequestHeaderFacts,
} from './request-headers.ts';
import { clientResponseHeaders } from './response-headers.ts';
import { endBatched } from './turn-flush.ts';
import {
  RESPONSE_TIMEOUT_CODE,
  isConnectFailure,
  isIdempotent,
  isReplayable,
  isStaleConnection,
} from './upstream-failure.ts';

/**
 * One client request on its way through the proxy. The upstream connection
 * calls it directly (it is the connection's ConnectionUser), and so does the
 * client response (it is its ClientResponseUser); the listeners of a
 * request body are module-level functions that find it through a symbol, so
 * a request allocates this object, its header array and its head string,
 * not a set of closures.
 */
const kExchange = Symbol('switchyard.exchange');

interface Tagged {
  [kExchange]?: Exchange;
}

/** Status recorded for a client that went away before its response was complete (nginx's 499). */
const CLIENT_CLOSED = 499;

/**
 * A whole body up to this size goes to the client as latin1 text (a lossless
 * byte copy): Node then joins it to the head and sends both with one write
 * instead of a writev of head, body and an empty end; and, being the whole
 * answer, it may be batched with the turn's other writes (turn-flush.ts).
 */
const INLINE_BODY_MAX = 16 * 1024;

/**
 * A replayable request body up to this size is kept as it is sent, so that
 * the keep-alive race (the instance closed the reused connection as the
 * request went out) can be answered by sending it again, as without a body.
 */
const REPLAY_MAX_BYTES = 64 * 1024;

class Exchange implements SelectionFacts, RequestHeaderFacts, ConnectionUser, ClientResponseUser {
  readonly ctx: ProxyContext;
  readonly route: ServiceRoute;
  readonly preview: boolean;
  readonly method: string;
  /** The request body's stream (Node's path only; set when hasBody). */
  readonly body: IncomingMessage | null;
  readonly res: ClientResponse;
  cookie: string | undefined = undefined;
  override: string | undefined = undefined;
  newClientId: string | null = null;
  hasBody = false;
  chunked = false;
  idempotencyKey = false;
  requestHead = '';
  bodyFraming: BodyFraming = BodyFraming.none;
  headRequest = false;
  upstream: Upstream | null = null;
  /** The connection of the current attempt (it may have let go of this exchange since). */
  conn: UpstreamConnection | null = null;
  attemptStartedAt = 0;
  /** The current attempt's connection is open and the request head went out on it. */
  connected = false;
  /** The client body is being read (its listeners are on). */
  readingBody = false;
  bodySent = false;
  /** The client's body ended (all of it was read). */
  bodyEnded = false;
  /**
   * The body bytes sent so far, while the request may be sent again whole
   * (replayable and at most REPLAY_MAX_BYTES); null when it may not.
   */
  replay: Buffer[] | null = null;
  replayBytes = 0;
  retried = false;
  /** Sent again on a fresh connection after a reused one turned out closed. */
  freshRetried = false;
  /** The upstream's response head reached the client. */
  responded = false;
  /** Body bytes went to the client. */
  bodyWritten = false;
  /** res.end() was called with the last body piece. */
  ended = false;
  /** Paused upstream reads until the client response drains. */
  waitingDrain = false;
  /** The upstream failed after its response began: the client got a cut response. */
  truncated = false;
  done = false;

  constructor(
    ctx: ProxyContext,
    route: ServiceRoute,
    preview: boolean,
    req: ClientRequest,
    res: ClientResponse,
  ) {
    this.ctx = ctx;
    this.route = route;
    this.preview = preview;
    this.method = req.method;
    this.body = req.body;
    this.res = res;
  }

  /** This exchange's attempt still holds its connection. */
  ownsConnection(): boolean {
    return this.conn !== null && this.conn.user === this;
  }

  // ConnectionUser

  onUpstreamConnected(): void {
    this.connected = true;
    if (!this.hasBody || this.done) return;
    // With a body, nothing is read from the client until the head went out on
    // an open connection: a failed connect leaves the body unread and the
    // request retryable.
    const body = this.body as IncomingMessage;
    if (this.readingBody) {
      // A fresh attempt after the keep-alive race: what was sent goes again first.
      const replay = this.replay;
      if (replay !== null && replay.length > 0) {
        const conn = this.conn as UpstreamConnection;
        for (const chunk of replay) conn.writeBody(chunk);
        if (this.bodyEnded) {
          conn.endBody();
          return;
        }
      }
      body.resume();
      return;
    }
    this.readingBody = true;
    (body as Tagged)[kExchange] = this;
    body.on('data', onClientData);
    body.on('end', onClientEnd);
  }

  onUpstreamHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void {
    if (this.done) {
      (this.conn as UpstreamConnection).abort();
      return;
    }
    const res = this.res;
    const setCookie = this.newClientId === null ? null : stickyCookieHeader(this.newClientId);
    // Held until the end of this read, so the head and the body that came
    // with it leave in one write.
    res.hold();
    try {
      res.writeHead(statusCode, statusMessage, clientResponseHeaders(rawHeaders, setCookie));
    } catch (error) {
      // A header value Node refuses to send on: answer 502 instead of half a response.
      this.ctx.logger?.warn(
        { err: error, service: this.route.name },
        'upstream response headers rejected',
      );
      (this.conn as UpstreamConnection).abort();
      answer(res, 502, 'bad gateway\n');
      return;
    }
    this.responded = true;
  }

  onUpstreamBody(chunk: Buffer, last: boolean): void {
    const res = this.res;
    // `chunk` is in the connection's shared read buffer: what the client
    // socket may keep queued must be a copy (the latin1 text is one).
    if (last) {
      this.ended = true;
      if (!this.bodyWritten && chunk.length <= INLINE_BODY_MAX)
        endBatched(res, chunk.toString('latin1'));
      else res.end(Buffer.from(chunk));
      return;
    }
    this.bodyWritten = true;
    if (!res.write(Buffer.from(chunk)) && !this.waitingDrain && this.ownsConnection()) {
      this.waitingDrain = true;
      (this.conn as UpstreamConnection).pause();
      res.whenDrained();
    }
  }

  onUpstreamComplete(): void {
    if (this.ended) return;
    // No body (HEAD, 204, 304, length 0): the head alone is the whole answer.
    if (!this.bodyWritten) endBatched(this.res, '');
    else this.res.end();
  }

  onUpstreamReadDone(): void {
    this.res.release();
  }

  onUpstreamDrain(): void {
    this.body?.resume();
  }

  onUpstreamError(error: NodeJS.ErrnoException): void {
    failAttempt(this, error);
  }

  // ClientResponseUser

  onClientDrain(): void {
    this.waitingDrain = false;
    if (this.ownsConnection()) (this.conn as UpstreamConnection).resume();
  }

  /**
   * The client response is over: sent in full, or the client went away.
   * Either way this is where an attempt is accounted for, exactly once.
   */
  onClientClose(finished: boolean, statusCode: number): void {
    if (this.done) return;
    this.done = true;
    const status = this.truncated ? 502 : finished ? statusCode : CLIENT_CLOSED;
    // The client went away, or the response is complete while the request
    // body still streams: stop the upstream work no one waits for any more.
    if (this.ownsConnection()) (this.conn as UpstreamConnection).abort();
    endAttempt(this, status);
  }
}

/** Entry point for a request from either path. `route` is read once by the caller. */
export function proxyHttpRequest(
  ctx: ProxyContext,
  route: ServiceRoute | null,
  preview: boolean,
  req: ClientRequest,
  res: ClientResponse,
): void {
  if (route === null) {
    // The listener is closing (its service left the config).
    res.closeConnection();
    answer(res, 503, 'service unavailable\n');
    return;
  }
  const ex = new Exchange(ctx, route, preview, req, res);
  const headers = upstreamRequestHeaders(req.rawHeaders, req.remoteAddress, ex, {
    overrideHeader: route.overrideHeader,
    wantCookie: route.sticky && !preview,
    upgrade: false,
  });
  if (headers === null) {
    res.closeConnection();
    answer(res, 400, MORE_THAN_ONE_HOST);
    return;
  }
  const upstream = route.choose(ex, preview);
  if (upstream === null) {
    ctx.observer.noUpstream(route.name);
    answer(res, 503, 'no healthy upstream\n');
    return;
  }
  const method = req.method;
  ex.requestHead = requestHead(method, req.url, headers);
  ex.headRequest = method === 'HEAD';
  if (ex.hasBody && isReplayable(method, ex.idempotencyKey)) ex.replay = [];
  ex.bodyFraming = !ex.hasBody
    ? BodyFraming.none
    : ex.chunked
      ? BodyFraming.chunked
      : BodyFraming.length;
  res.attach(ex);
  dispatch(ex, upstream);
}

function dispatch(ex: Exchange, upstream: Upstream): void {
  ex.upstream = upstream;
  ex.connected = false;
  ex.attemptStartedAt = performance.now();
  upstream.requestStarted();
  const conn = upstream.connections.acquire();
  ex.conn = conn;
  // A reused connection writes the head and calls back at once.
  conn.start(ex);
}

function onClientData(this: IncomingMessage, chunk: Buffer): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  // Answered, cut or over (a retry takes its connection synchronously): the
  // rest of the body is read and dropped.
  if (!ex.ownsConnection()) return;
  if (!ex.connected) {
    // Not expected (the body is paused while a retry connects): keep the bytes.
    this.pause();
    this.unshift(chunk);
    return;
  }
  ex.bodySent = true;
  if (ex.replay !== null) {
    ex.replayBytes += chunk.length;
    if (ex.replayBytes <= REPLAY_MAX_BYTES) ex.replay.push(chunk);
    else ex.replay = null;
  }
  if (!(ex.conn as UpstreamConnection).writeBody(chunk)) this.pause();
}

function onClientEnd(this: IncomingMessage): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  ex.bodyEnded = true;
  if (ex.ownsConnection()) (ex.conn as UpstreamConnection).endBody();
}

/** The response already began: a truncated body must not look complete, so drop the connection. */
function cutClientResponse(ex: Exchange): void {
  if (ex.done) return;
  ex.truncated = true;
  ex.res.destroy();
}

function failAttempt(ex: Exchange, error: NodeJS.ErrnoException): void {
  if (ex.done) return;
  ex.res.release();
  if (ex.responded) {
    cutClientResponse(ex);
    return;
  }
  const conn = ex.conn as UpstreamConnection;
  const upstream = ex.upstream as Upstream;
  // No body byte may flow while no connection takes it.
  if (ex.readingBody) ex.body?.pause();
  if (!upstream.drained && isStaleConnection(conn.reused && !conn.responding, error)) {
    // The keep-alive race: the instance closed this idle connection just as
    // the router reused it. That is no sign of ill health (no passive
    // ejection), and the instance closed it as idle rather than act on the
    // request, so the request goes again, once, on a fresh connection to the
    // same instance, unless body bytes already left and were not kept for
    // it: a body that may not be sent twice (not replayable: the instance
    // may have read it and acted), or one too large to keep.
    if (!ex.freshRetried && (!ex.bodySent || ex.replay !== null)) {
      ex.freshRetried = true;
      ex.upstream = null;
      upstream.attemptRetried();
      // The other idle connections are at least as old: open a new one.
      upstream.connections.dropIdle();
      dispatch(ex, upstream);
      return;
    }
    ex.ctx.logger?.debug(
      { err: error, service: ex.route.name, instance: upstream.instanceId },
      'reused upstream connection closed',
    );
    giveUp(ex, 502, 'bad gateway\n');
    return;
  }
  // Cut by our own drain timeout: not the instance's fault, and not retried.
  const connectFailure = !upstream.drained && isConnectFailure(error, ex.connected);
  if (connectFailure) ex.ctx.health.reportConnectFailure(upstream.service, upstream.instanceId);
  // Retry only when the instance cannot have acted on the request: it never
  // connected, or (idempotent methods only) it reset before answering; and
  // never once body bytes left the router.
  const retryable =
    connectFailure && !ex.retried && !ex.bodySent && (!ex.connected || isIdempotent(ex.method));
  if (retryable) {
    const next = ex.route.chooseForRetry(upstream, ex.preview);
    if (next !== null) {
      ex.retried = true;
      ex.upstream = null;
      upstream.attemptRetried();
      dispatch(ex, next);
      return;
    }
  }
  ex.ctx.logger?.debug(
    { err: error, service: ex.route.name, instance: upstream.instanceId },
    'upstream failed',
  );
  if (error.code === RESPONSE_TIMEOUT_CODE) giveUp(ex, 504, 'gateway timeout\n');
  else giveUp(ex, 502, 'bad gateway\n');
}

/** The proxy's own answer ends the exchange; the rest of the client's body is read and dropped. */
function giveUp(ex: Exchange, status: number, body: string): void {
  answer(ex.res, status, body);
  if (ex.readingBody) ex.body?.resume();
}

function endAttempt(ex: Exchange, status: number): void {
  const upstream = ex.upstream;
  if (upstream === null) return;
  ex.upstream = null;
  upstream.requestFinished(status, (performance.now() - ex.attemptStartedAt) / 1000);
}

/** A short plain-text answer of the proxy's own (400/502/503/504). */
function answer(res: ClientResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, STATUS_CODES[status] ?? '', [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(body.length),
  ]);
  res.endLatin1(body);
}
