/**
 * The router's own upstream HTTP/1.1 client (src/router/pools/upstream-*.ts)
 * against real and raw upstreams: every way a response can be framed, how
 * connections are kept or dropped, large and slow bodies both ways, and the
 * connect timeout.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  get,
  rawUpstream,
  startUpstream,
  type InstanceAddress,
  type TestRouter,
  until,
  routerTo,
} from './router-harness.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw upstream answering every request with `answer(request, index on its connection)`. */
async function scripted(
  id: string,
  answer: (request: string, indexOnConnection: number, socket: net.Socket) => void,
): Promise<Awaited<ReturnType<typeof rawUpstream>> & { connections: () => number }> {
  const perSocket = new WeakMap<net.Socket, number>();
  let connections = 0;
  const upstream = await rawUpstream(id, (socket, request) => {
    const index = perSocket.get(socket) ?? 0;
    if (index === 0) connections++;
    perSocket.set(socket, index + 1);
    answer(request, index, socket);
  });
  cleanups.push(() => upstream.close());
  return Object.assign(upstream, { connections: () => connections });
}

function openSockets(t: TestRouter, id: string): number {
  return t.router.drainState().find((entry) => entry.instanceId === id)?.openUpstreamSockets ?? -1;
}

/** Sends raw bytes on one connection and resolves with what came back once `done` says so. */
function rawExchange(
  port: number,
  bytes: string,
  done: (text: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no complete answer: ${text}`)));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

describe('router upstream responses', () => {
  let keepAlive: http.Agent;

  beforeEach(() => {
    keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => keepAlive.destroy());
  });

  it('relays a chunked response piece by piece and reuses the connection after it', async () => {
    const app = await startUpstream('app', (req, res) => {
      if (req.url !== '/chunked') {
        res.end('plain');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      setTimeout(() => res.write('two,'), 20);
      setTimeout(() => res.end('three'), 40);
    });
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    for (let i = 0; i < 3; i++) {
      const answer = await get(t.port(), { path: '/chunked', agent: keepAlive });
      expect(answer).toMatchObject({ status: 200, body: 'one,two,three' });
      expect(answer.headers['transfer-encoding']).toBe('chunked');
      expect((await get(t.port(), { agent: keepAlive })).body).toBe('plain');
    }
    expect(openSockets(t, 'app')).toBe(1);
  });

  it('answers HEAD, 204 and 304 without waiting for a body, and keeps the connection', async () => {
    const app = await scripted('app', (request, _index, socket) => {
      const path = request.split(' ')[1];
      if (request.startsWith('HEAD '))
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Head: yes\r\n\r\n');
      else if (path === '/204') socket.write('HTTP/1.1 204 No Content\r\nX-Empty: yes\r\n\r\n');
      else if (path === '/304') socket.write('HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
    });
    const t = await routerTo(cleanups, [app]);
    const head = await get(t.port(), { method: 'HEAD', agent: keepAlive });
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('1234');
    expect((await get(t.port(), { path: '/204', agent: keepAlive })).status).toBe(204);
    const notModified = await get(t.port(), { path: '/304', agent: keepAlive });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['etag']).toBe('"v1"');
    expect((await get(t.port(), { agent: keepAlive })).body).toBe('body');
    // Every answer was framed right: all four went over one upstream connection.
    expect(app.connections()).toBe(1);
    expect(t.observer.of('app').statuses).toEqual([200, 204, 304, 200]);
  });

  it('skips interim 1xx answers and relays the final one', async () => {
    const app = await scripted('app', (_request, _index, socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
      setTimeout(() => socket.write('HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone'), 10);
    });
    const t = await routerTo(cleanups, [app]);
    const answer = await get(t.port(), { method: 'POST', body: 'x' });
    expect(answer).toMatchObject({ status: 201, body: 'done' });
    expect(answer.headers['link']).toBeUndefined();
  });

  it('opens a new connection after an upstream answer with Connection: close or an HTTP/1.0 answer', async () => {
    const app = await scripted('app', (request, _index, socket) => {
      if (request.includes('/close')) {
        socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nclose');
      } else if (request.includes('/old')) {
        socket.end('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold');
      } else {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkept');
      }
    });
    const t = await routerTo(cleanups, [app]);
    expect((await get(t.port(), { path: '/close' })).body).toBe('close');
    expect((await get(t.port(), { path: '/old' })).body).toBe('old');
    expect((await get(t.port())).body).toBe('kept');
    expect((await get(t.port())).body).toBe('kept');
    // close, old, then one connection kept for both "kept" answers.
    expect(app.connections()).toBe(3);
    expect(t.health.connectFailures).toEqual([]);
    await until(() => openSockets(t, 'app') === 1);
  });

  it('reads an answer without length until the upstream closes, and passes it on whole', async () => {
    const app = await scripted('app', (_request, _index, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ');
      setTimeout(() => socket.end('second'), 20);
    });
    const t = await routerTo(cleanups, [app]);
    const answer = await get(t.port());
    expect(answer).toMatchObject({ status: 200, body: 'first second' });
    expect(t.observer.of('app').statuses).toEqual([200]);
  });

  it('carries large bodies both ways intact', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const digest = (data: Buffer | string): string =>
      createHash('sha256').update(data).digest('hex');
    const app = await startUpstream('app', (req, res, body) => {
      if (req.method === 'POST') res.end(digest(Buffer.from(body, 'utf8')));
      else res.end(big);
    });
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const download = await new Promise<Buffer>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: t.port(), path: '/big' }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    expect(download.length).toBe(big.length);
    expect(digest(download)).toBe(digest(big));
    // Upload, as text so the upstream's string body compares: 4 MiB of ASCII.
    const upload = 'abcdefghij'.repeat(400_000);
    const answer = await get(t.port(), { method: 'POST', body: upload });
    expect(answer).toMatchObject({ status: 200, body: digest(upload) });
  });

  it('forwards a chunked upload and waits for a slow upstream that keeps sending', async () => {
    const app = await startUpstream('app', (req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      // 6 pieces 100 ms apart: 500 ms in all, each gap under the 300 ms limit.
      let sent = 0;
      const timer = setInterval(() => {
        res.write(sent === 0 ? `${req.headers['transfer-encoding']} ${body}|` : '.');
        if (++sent === 6) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
    });
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app], { responseTimeoutMs: 300 });
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: t.port(), method: 'PUT', path: '/', agent: false },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.write('part1-');
      setTimeout(() => req.end('part2'), 30);
    });
    expect(answer).toBe('chunked part1-part2|.....');
  });

  it('answers 502 to a malformed upstream answer without calling it a connect failure', async () => {
    const app = await scripted('app', (request, _index, socket) => {
      if (request.includes('/garbage')) socket.write('NOT HTTP AT ALL\r\n\r\n');
      else if (request.includes('/both'))
        socket.write(
          'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        );
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const other = await scripted('other', (_request, _index, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nother'),
    );
    const t = await routerTo(cleanups, [app, other]);
    t.health.unhealthy.add('other');
    expect((await get(t.port(), { path: '/garbage' })).status).toBe(502);
    expect((await get(t.port(), { path: '/both' })).status).toBe(502);
    expect((await get(t.port())).body).toBe('ok');
    expect(t.health.connectFailures).toEqual([]);
    expect(t.observer.of('app').statuses).toEqual([502, 502, 200]);
  });

  it('passes on an early answer (before the request body is complete) and drops that connection', async () => {
    // Answers as soon as a request head is in, without reading the body.
    const server = net.createServer((socket) => {
      socket.once('data', () =>
        socket.write('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!'),
      );
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const app = { id: 'app', port: (server.address() as net.AddressInfo).port };
    const t = await routerTo(cleanups, [app]);
    // The head says 100 bytes; only 10 come before the answer.
    const text = await rawExchange(
      t.port(),
      'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789',
      (received) => received.endsWith('too big!'),
    );
    expect(text.startsWith('HTTP/1.1 413 Payload Too Large\r\n')).toBe(true);
    await until(() => openSockets(t, 'app') === 0);
    expect(t.observer.of('app').statuses).toEqual([413]);
  });

  it('closes the upstream connection when the client goes away mid-answer, and counts a 499', async () => {
    const app = await scripted('app', (_request, _index, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part'),
    );
    const t = await routerTo(cleanups, [app]);
    await rawExchange(t.port(), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', (text) =>
      text.endsWith('only part'),
    );
    await until(() => t.observer.of('app').finished === 1);
    expect(t.observer.of('app').statuses).toEqual([499]);
    await until(() => openSockets(t, 'app') === 0);
  });

  it('does not reuse a connection the instance says it keeps for a second at most', async () => {
    const app = await scripted('app', (_request, _index, socket) =>
      socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nok'),
    );
    const t = await routerTo(cleanups, [app]);
    expect((await get(t.port())).body).toBe('ok');
    expect((await get(t.port())).body).toBe('ok');
    expect(app.connections()).toBe(2);
  });

  it('gives up on a connect that hangs after the connect timeout, reports it, and retries elsewhere', async () => {
    const hanging = await hangingInstance('hanging');
    const good = await startUpstream('good');
    cleanups.push(() => good.close());
    const t = await routerTo(cleanups, [hanging, good], { connectTimeoutMs: 200 });
    const started = performance.now();
    // Round-robin starts at the hanging instance for the first request.
    const answer = await get(t.port());
    const took = performance.now() - started;
    expect(answer).toMatchObject({ status: 200, body: 'good' });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(t.health.connectFailures).toEqual(['hanging']);
    expect(t.observer.of('hanging').retried).toBe(1);
    expect(t.observer.of('hanging').statuses).toEqual([]);
  });
});

/**
 * An address whose connects never finish: a listening socket with backlog 1
 * in a worker thread whose event loop is blocked, so nothing is accepted;
 * two connections fill its accept queue and the kernel drops later SYNs.
 */
async function hangingInstance(id: string): Promise<InstanceAddress> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0);
       server.close();
     });`,
    { eval: true, workerData: release },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  const fillers = [0, 1].map(() => net.connect(port, '127.0.0.1').on('error', () => {}));
  await Promise.all(fillers.map((socket) => new Promise((r) => socket.once('connect', r))));
  cleanups.push(async () => {
    for (const socket of fillers) socket.destroy();
    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
    await worker.terminate();
  });
  return { id, port };
}
