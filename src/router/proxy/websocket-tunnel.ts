import http from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServiceRoute, SelectionFacts } from '../pools/service-route.ts';
import { stickyCookieHeader } from '../pools/sticky.ts';
import type { Upstream } from '../pools/upstream.ts';
import { closingAnswer } from './client-error.ts';
import { isHopByHop } from './hop-by-hop.ts';
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
  isStaleConnection,
  responseTimeoutError,
} from './upstream-failure.ts';

/**
 * Proxies an HTTP upgrade (WebSocket): the handshake goes to an instance
 * chosen like any request (override, sticky, weights), the 101 comes back,
 * then raw bytes flow both ways until either side closes. The tunnel counts
 * against its instance so a drain waits for it (up to the drain timeout).
 * Upgrades are rare next to requests, so closures are fine here.
 */
export function proxyUpgrade(options: {
  ctx: ProxyContext;
  route: ServiceRoute | null;
  preview: boolean;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}): void {
  const { ctx, route, preview, req, socket, head } = options;
  socket.on('error', ignore);
  if (route === null) {
    rawAnswer(socket, 503, 'service unavailable\n');
    return;
  }
  const facts: SelectionFacts & RequestHeaderFacts = {
    cookie: undefined,
    override: undefined,
    newClientId: null,
    hasBody: false,
    chunked: false,
    idempotencyKey: false,
  };
  const headers = upstreamRequestHeaders(req.rawHeaders, req.socket.remoteAddress ?? '', facts, {
    overrideHeader: route.overrideHeader,
    wantCookie: route.sticky && !preview,
    upgrade: true,
  });
  if (headers === null) {
    rawAnswer(socket, 400, MORE_THAN_ONE_HOST);
    return;
  }
  const first = route.choose(facts, preview);
  if (first === null) {
    ctx.observer.noUpstream(route.name);
    rawAnswer(socket, 503, 'no healthy upstream\n');
    return;
  }
  const setCookie = facts.newClientId === null ? null : stickyCookieHeader(facts.newClientId);
  let retried = false;
  let freshRetried = false;
  let current: ClientRequest | null = null;
  // A client that hangs up during the handshake aborts the upstream attempt.
  const abandon = (): void => {
    current?.destroy();
  };
  socket.once('close', abandon);

  const attempt = (upstream: Upstream): void => {
    const startedAt = performance.now();
    let connected = false;
    let settled = false;
    const settle = (status: number): void => {
      if (settled) return;
      settled = true;
      upstream.requestFinished(status, (performance.now() - startedAt) / 1000);
    };
    upstream.requestStarted();
    const upstreamReq = http.request({
      agent: upstream.agent,
      host: upstream.host,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers,
      setHost: false,
    });
    current = upstreamReq;
    upstreamReq.on('socket', (s: Socket) => {
      if (s.connecting) s.once('connect', () => (connected = true));
      else connected = true;
    });
    // A handshake the instance does not answer in time is a timeout (504),
    // not a reset: it says nothing of a failed connect, so no ejection and
    // no retry, as for any request.
    upstreamReq.setTimeout(ctx.responseTimeoutMs, () =>
      upstreamReq.destroy(responseTimeoutError()),
    );
    upstreamReq.on(
      'upgrade',
      (res: IncomingMessage, upstreamSocket: Socket, upstreamHead: Buffer) => {
        socket.removeListener('close', abandon);
        settle(101);
        if (socket.destroyed) {
          upstreamSocket.destroy();
          return;
        }
        socket.write(
          statusLine(res) + headerBlock(upgradeResponseHeaders(res.rawHeaders, setCookie)),
        );
        tunnel({ upstream, client: socket, upstreamSocket, clientHead: head, upstreamHead });
      },
    );
    upstreamReq.on('response', (res: IncomingMessage) => {
      // The instance declined the upgrade: relay its answer and close.
      socket.removeListener('close', abandon);
      settle(res.statusCode ?? 502);
      const headers = clientResponseHeaders(res.rawHeaders, setCookie);
      headers.push('Connection', 'close');
      socket.write(statusLine(res) + headerBlock(headers));
      res.pipe(socket);
    });
    upstreamReq.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      if (!upstream.drained && isStaleConnection(upstreamReq.reusedSocket, error)) {
        // The instance closed this idle keep-alive connection as it was
        // reused (see http-exchange.ts): no failure of the instance; the
        // handshake goes again, once, on a fresh connection to it.
        if (!freshRetried && !socket.destroyed) {
          settled = true;
          freshRetried = true;
          upstream.attemptRetried();
          upstream.agent.dropIdleSockets();
          attempt(upstream);
          return;
        }
        settle(502);
        socket.removeListener('close', abandon);
        rawAnswer(socket, 502, 'bad gateway\n');
        return;
      }
      const connectFailure = !upstream.drained && isConnectFailure(error, connected);
      if (connectFailure) ctx.health.reportConnectFailure(upstream.service, upstream.instanceId);
      const next =
        connectFailure && !retried && !socket.destroyed
          ? route.chooseForRetry(upstream, preview)
          : null;
      if (next !== null) {
        settled = true;
        retried = true;
        upstream.attemptRetried();
        attempt(next);
        return;
      }
      socket.removeListener('close', abandon);
      if (error.code === RESPONSE_TIMEOUT_CODE) {
        settle(504);
        rawAnswer(socket, 504, 'gateway timeout\n');
      } else {
        settle(502);
        rawAnswer(socket, 502, 'bad gateway\n');
      }
    });
    upstreamReq.end();
  };
  attempt(first);
}

function tunnel(options: {
  upstream: Upstream;
  client: Duplex;
  upstreamSocket: Socket;
  clientHead: Buffer;
  upstreamHead: Buffer;
}): void {
  const { upstream, client, upstreamSocket, clientHead, upstreamHead } = options;
  upstreamSocket.on('error', ignore);
  upstreamSocket.setTimeout(0);
  upstreamSocket.setNoDelay(true);
  upstream.websocketOpened(client);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstreamSocket.destroy();
    upstream.websocketClosed(client);
  };
  client.once('close', close);
  upstreamSocket.once('close', close);
  if (upstreamHead.length > 0) client.write(upstreamHead);
  if (clientHead.length > 0) upstreamSocket.write(clientHead);
  upstreamSocket.pipe(client);
  client.pipe(upstreamSocket);
}

/** 101 headers: the upstream's, hop-by-hop ones removed, Connection/Upgrade put back. */
function upgradeResponseHeaders(rawHeaders: readonly string[], setCookie: string | null): string[] {
  const out: string[] = [];
  let upgrade = 'websocket';
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (lower === 'upgrade') upgrade = rawHeaders[i + 1] as string;
    if (isHopByHop(lower)) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  out.push('Connection', 'Upgrade', 'Upgrade', upgrade);
  if (setCookie !== null) out.push('Set-Cookie', setCookie);
  return out;
}

function statusLine(res: IncomingMessage): string {
  return `HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}\r\n`;
}

function headerBlock(headers: readonly string[]): string {
  let block = '';
  for (let i = 0; i < headers.length; i += 2) block += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${block}\r\n`;
}

function rawAnswer(socket: Duplex, status: number, body: string): void {
  if (!socket.destroyed) socket.end(closingAnswer(status, body));
}

function ignore(): void {}
