import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  config,
  get,
  makeRouter,
  pool,
  service,
  startUpstream,
  type TestRouter,
  type TestUpstream,
} from './router-harness.ts';

interface RawExchange {
  /** Everything the router sent back before closing. */
  readonly text: string;
  /** The router closed the connection (rather than our hang guard). */
  readonly closedByRouter: boolean;
}

/** Sends raw bytes and reads until the router closes the connection. */
function rawRequest(port: number, bytes: string): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let guardFired = false;
    // A hang guard, not a timing assertion: a router that keeps the
    // connection open fails `closedByRouter` instead of hanging the suite.
    socket.setTimeout(5000, () => {
      guardFired = true;
      socket.destroy();
    });
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve({ text, closedByRouter: !guardFired }));
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

describe('router request hygiene', () => {
  let upstream: TestUpstream;
  let t: TestRouter;

  beforeEach(async () => {
    upstream = await startUpstream('app', (req, res, body) => {
      res.writeHead(200, [
        'Content-Type',
        'text/plain',
        'Connection',
        'X-Up-Hop',
        'X-Up-Hop',
        'secret',
        'Keep-Alive',
        'timeout=99',
        'Proxy-Connection',
        'keep-alive',
        'Trailer',
        'X-Checksum',
        'X-App',
        'kept',
      ]);
      res.end(`${req.url} ${body}`);
    });
    t = makeRouter();
    await t.router.apply(config(1, [service([pool('stable', 1, [upstream])])]));
  });

  afterEach(async () => {
    await t.router.close();
    await upstream.close();
  });

  const smuggling: [string, string][] = [
    [
      'Content-Length together with Transfer-Encoding',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    ],
    [
      'two different Content-Lengths',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabcGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    ],
    [
      'a NUL byte in a header value',
      'GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\u0000b\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    ],
    [
      'a space in a header name',
      'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    ],
    [
      'a bare LF inside a header line',
      'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    // Node's parser lets these through; the router refuses them itself (RFC 9112 §3.2).
    ['two Host lines', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    [
      'two Host lines on a WebSocket handshake',
      'GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    ],
  ];

  it.each(smuggling)('answers %s with 400, closes, and forwards nothing', async (_name, bytes) => {
    const result = await rawRequest(t.port(), bytes);
    expect(result.text.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(result.text).toContain('\r\nConnection: close\r\n');
    expect(result.closedByRouter).toBe(true);
    expect(upstream.requests).toEqual([]);
  });

  it('answers a bad chunk size with 400 and closes; the bytes after it are never a request', async () => {
    const result = await rawRequest(
      t.port(),
      'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' +
        'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    expect(result.text.startsWith('HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    expect(result.text).toContain('\r\nConnection: close\r\n');
    expect(result.closedByRouter).toBe(true);
    // The upload's headers may have gone upstream (bodies stream), but it never completed
    // and nothing after the bad chunk was read as a request.
    expect(upstream.requests).toEqual([]);
  });

  it('forwards a well-formed chunked body intact', async () => {
    const result = await rawRequest(
      t.port(),
      'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
    expect(result.text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    // The upstream answered without a length, so the router chunks it back.
    expect(result.text).toContain('\r\n\r\n13\r\n/upload hello world\r\n0\r\n\r\n');
    expect(upstream.requests[0]?.headers['transfer-encoding']).toBe('chunked');
  });

  it('strips hop-by-hop request headers and sets X-Forwarded-*, Via and X-Request-Id', async () => {
    const result = await rawRequest(
      t.port(),
      'GET /h HTTP/1.1\r\nHost: shop.example\r\nConnection: close, X-Hop\r\nX-Hop: secret\r\n' +
        'Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\n' +
        'Upgrade: h2c\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n' +
        'X-Forwarded-Host: evil.example\r\nVia: 1.0 edge\r\nX-Request-Id: abc-123\r\nX-Keep: yes\r\n\r\n',
    );
    expect(result.text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    const seen = upstream.requests[0];
    expect(seen).toBeDefined();
    const headers = seen?.headers ?? {};
    for (const name of ['x-hop', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']) {
      expect(headers[name], name).toBeUndefined();
    }
    expect(headers['connection']).toBe('keep-alive'); // the router's own upstream connection
    expect(headers['x-keep']).toBe('yes');
    expect(headers['host']).toBe('shop.example');
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('shop.example');
    expect(headers['via']).toBe('1.0 edge, 1.1 switchyard');
    expect(headers['x-request-id']).toBe('abc-123');
  });

  it('replaces a malformed request id and generates distinct ones', async () => {
    await get(t.port(), { headers: { 'x-request-id': 'not ok!' } });
    await get(t.port());
    const [first, second] = upstream.requests.map((r) => r.headers['x-request-id']);
    expect(first).toBeDefined();
    expect(first).not.toBe('not ok!');
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(upstream.requests[1]?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(upstream.requests[1]?.headers['via']).toBe('1.1 switchyard');
  });

  it('strips hop-by-hop response headers', async () => {
    const answer = await get(t.port(), { path: '/r' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('/r ');
    expect(answer.headers['x-app']).toBe('kept');
    expect(answer.headers['x-up-hop']).toBeUndefined();
    expect(answer.headers['proxy-connection']).toBeUndefined();
    expect(answer.headers['trailer']).toBeUndefined();
    expect(answer.headers['keep-alive']).not.toBe('timeout=99');
  });
});
