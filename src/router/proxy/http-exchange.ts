import http from 'node:http';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { stickyCookieHeader } from '../pools/sticky.ts';
import type { ServiceRoute, SelectionFacts } from '../pools/service-route.ts';
import type { Upstream } from '../pools/upstream.ts';
import type { ProxyContext } from './proxy-context.ts';
import {
  MORE_THAN_ONE_HOST,
  upstreamRequestHeaders,
  type RequestHeaderFacts,
} from './request-headers.ts';
import { clientResponseHeaders } from './response-headers.ts';
import {
  RESPONSE_TIMEOUT_CODE,
  isConnectFailure,
  isIdempotent,
  isStaleConnection,
  responseTimeoutError,
} from './upstream-failure.ts';

/**
 * One client request on its way through the proxy. The event listeners below
 * are module-level functions that find their Exchange through a symbol on the
 * emitter, so a request allocates this object and its header array, not a set
 * of closures.
 */
const kExchange = Symbol('switchyard.exchange');

interface Tagged {
  [kExchange]?: Exchange;
}

/** Status recorded for a client that went away before its response was complete (nginx's 499). */
const CLIENT_CLOSED = 499;

class Exchange implements SelectionFacts, RequestHeaderFacts {
  readonly ctx: ProxyContext;
  readonly route: ServiceRoute;
  readonly preview: boolean;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  cookie: string | undefined = undefined;
  override: string | undefined = undefined;
  newClientId: string | null = null;
  hasBody = false;
  headers: string[] = [];
  upstream: Upstream | null = null;
  upstreamReq: ClientRequest | null = null;
  upstreamRes: IncomingMessage | null = null;
  attemptStartedAt = 0;
  connected = false;
  bodySent = false;
  retried = false;
  /** Sent again on a fresh connection after a reused one turned out closed. */
  freshRetried = false;
  /** The upstream failed after its response began: the client got a cut response. */
  truncated = false;
  done = false;

  constructor(
    ctx: ProxyContext,
    route: ServiceRoute,
    preview: boolean,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    this.ctx = ctx;
    this.route = route;
    this.preview = preview;
    this.req = req;
    this.res = res;
  }
}

/** Entry point for a listener's 'request' event. `route` is read once by the caller. */
export function proxyHttpRequest(
  ctx: ProxyContext,
  route: ServiceRoute | null,
  preview: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (route === null) {
    // The listener is closing (its service left the config).
    res.shouldKeepAlive = false;
    answer(res, 503, 'service unavailable\n');
    return;
  }
  const ex = new Exchange(ctx, route, preview, req, res);
  const headers = upstreamRequestHeaders(req, ex, {
    overrideHeader: route.overrideHeader,
    wantCookie: route.sticky && !preview,
    upgrade: false,
  });
  if (headers === null) {
    res.shouldKeepAlive = false;
    answer(res, 400, MORE_THAN_ONE_HOST);
    return;
  }
  ex.headers = headers;
  const upstream = route.choose(ex, preview);
  if (upstream === null) {
    ctx.observer.noUpstream(route.name);
    answer(res, 503, 'no healthy upstream\n');
    return;
  }
  (req as Tagged)[kExchange] = ex;
  (res as Tagged)[kExchange] = ex;
  res.on('close', onClientResponseClose);
  dispatch(ex, upstream);
}

function dispatch(ex: Exchange, upstream: Upstream): void {
  ex.upstream = upstream;
  ex.connected = false;
  ex.attemptStartedAt = performance.now();
  upstream.requestStarted();
  const upstreamReq = http.request({
    agent: upstream.agent,
    host: upstream.host,
    port: upstream.port,
    method: ex.req.method,
    path: ex.req.url,
    headers: ex.headers,
    setHost: false,
  });
  ex.upstreamReq = upstreamReq;
  (upstreamReq as Tagged)[kExchange] = ex;
  upstreamReq.on('socket', onUpstreamSocket);
  upstreamReq.on('response', onUpstreamResponse);
  upstreamReq.on('error', onUpstreamError);
  upstreamReq.on('timeout', onUpstreamTimeout);
  upstreamReq.setTimeout(ex.ctx.responseTimeoutMs);
  if (!ex.hasBody) upstreamReq.end();
  // With a body, nothing is read from the client until the upstream socket
  // connects: a failed connect leaves the body unread and the request retryable.
}

function onUpstreamSocket(this: ClientRequest, socket: Socket): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  if (socket.connecting) {
    (socket as Tagged)[kExchange] = ex;
    socket.once('connect', onUpstreamConnect);
  } else {
    upstreamConnected(ex);
  }
}

function onUpstreamConnect(this: Socket): void {
  const ex = (this as Tagged)[kExchange];
  (this as Tagged)[kExchange] = undefined;
  if (ex !== undefined && ex.upstreamReq !== null && ex.upstreamReq.socket === this)
    upstreamConnected(ex);
}

function upstreamConnected(ex: Exchange): void {
  ex.connected = true;
  if (!ex.hasBody || ex.done) return;
  const req = ex.req;
  req.on('data', onClientData);
  req.on('end', onClientEnd);
  (ex.upstreamReq as ClientRequest).on('drain', onUpstreamDrain);
}

function onClientData(this: IncomingMessage, chunk: Buffer): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  ex.bodySent = true;
  if (!(ex.upstreamReq as ClientRequest).write(chunk)) this.pause();
}

function onUpstreamDrain(this: ClientRequest): void {
  (this as Tagged)[kExchange]?.req.resume();
}

function onClientEnd(this: IncomingMessage): void {
  (this as Tagged)[kExchange]?.upstreamReq?.end();
}

function onUpstreamResponse(this: ClientRequest, upstreamRes: IncomingMessage): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  if (ex.done || ex.upstreamReq !== this) {
    upstreamRes.destroy();
    return;
  }
  ex.upstreamRes = upstreamRes;
  const res = ex.res;
  const setCookie = ex.newClientId === null ? null : stickyCookieHeader(ex.newClientId);
  try {
    res.writeHead(
      upstreamRes.statusCode ?? 502,
      upstreamRes.statusMessage,
      clientResponseHeaders(upstreamRes.rawHeaders, setCookie),
    );
  } catch (error) {
    // A header value Node refuses to send on: answer 502 instead of half a response.
    ex.ctx.logger?.warn(
      { err: error, service: ex.route.name },
      'upstream response headers rejected',
    );
    upstreamRes.destroy();
    ex.upstreamRes = null;
    answer(res, 502, 'bad gateway\n');
    return;
  }
  (upstreamRes as Tagged)[kExchange] = ex;
  upstreamRes.on('data', onUpstreamData);
  upstreamRes.on('end', onUpstreamEnd);
  upstreamRes.on('close', onUpstreamResponseClose);
  res.on('drain', onClientDrain);
}

function onUpstreamData(this: IncomingMessage, chunk: Buffer): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  if (!ex.res.write(chunk)) this.pause();
}

function onClientDrain(this: ServerResponse): void {
  (this as Tagged)[kExchange]?.upstreamRes?.resume();
}

function onUpstreamEnd(this: IncomingMessage): void {
  (this as Tagged)[kExchange]?.res.end();
}

function onUpstreamResponseClose(this: IncomingMessage): void {
  if (this.complete) return;
  const ex = (this as Tagged)[kExchange] as Exchange;
  cutClientResponse(ex);
}

/** The response already began: a truncated body must not look complete, so drop the connection. */
function cutClientResponse(ex: Exchange): void {
  if (ex.done) return;
  ex.truncated = true;
  ex.res.destroy();
}

function onUpstreamTimeout(this: ClientRequest): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  if (ex.upstreamReq !== this) return;
  this.destroy(responseTimeoutError());
}

function onUpstreamError(this: ClientRequest, error: NodeJS.ErrnoException): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  if (ex.upstreamReq !== this || ex.done) return;
  if (ex.upstreamRes !== null) {
    cutClientResponse(ex);
    return;
  }
  const upstream = ex.upstream as Upstream;
  if (!upstream.drained && isStaleConnection(this, error)) {
    // The keep-alive race: the instance closed this idle connection just as
    // the router reused it. That is no sign of ill health (no passive
    // ejection), and the instance closed it as idle rather than act on the
    // request, so the request goes again, once, on a fresh connection to the
    // same instance, unless body bytes already left: the body is streamed,
    // not kept, so it cannot be sent twice.
    if (!ex.freshRetried && !ex.bodySent) {
      ex.freshRetried = true;
      ex.upstream = null;
      upstream.attemptRetried();
      // The other idle connections are at least as old: open a new one.
      upstream.agent.dropIdleSockets();
      dispatch(ex, upstream);
      return;
    }
    ex.ctx.logger?.debug(
      { err: error, service: ex.route.name, instance: upstream.instanceId },
      'reused upstream connection closed',
    );
    answer(ex.res, 502, 'bad gateway\n');
    return;
  }
  // Cut by our own drain timeout: not the instance's fault, and not retried.
  const connectFailure = !upstream.drained && isConnectFailure(error, ex.connected);
  if (connectFailure) ex.ctx.health.reportConnectFailure(upstream.service, upstream.instanceId);
  // Retry only when the instance cannot have acted on the request: it never
  // connected, or (idempotent methods only) it reset before answering; and
  // never once body bytes left the router.
  const retryable =
    connectFailure && !ex.retried && !ex.bodySent && (!ex.connected || isIdempotent(ex.req.method));
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
  if (error.code === RESPONSE_TIMEOUT_CODE) answer(ex.res, 504, 'gateway timeout\n');
  else answer(ex.res, 502, 'bad gateway\n');
}

/**
 * The client response is over: sent in full, or the client went away. Either
 * way this is where an attempt is accounted for, exactly once.
 */
function onClientResponseClose(this: ServerResponse): void {
  const ex = (this as Tagged)[kExchange] as Exchange;
  if (ex.done) return;
  ex.done = true;
  const finished = this.writableFinished;
  const status = ex.truncated ? 502 : finished ? this.statusCode : CLIENT_CLOSED;
  // The client went away: stop the upstream work it no longer waits for.
  if (!finished && ex.upstreamReq !== null && !ex.upstreamReq.destroyed) ex.upstreamReq.destroy();
  endAttempt(ex, status);
}

function endAttempt(ex: Exchange, status: number): void {
  const upstream = ex.upstream;
  if (upstream === null) return;
  ex.upstream = null;
  upstream.requestFinished(status, (performance.now() - ex.attemptStartedAt) / 1000);
}

/** A short plain-text answer of the proxy's own (400/502/503/504). */
function answer(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, [
    'Content-Type',
    'text/plain; charset=utf-8',
    'Content-Length',
    String(body.length),
  ]);
  res.end(body);
}
