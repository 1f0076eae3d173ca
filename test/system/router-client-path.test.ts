/**
 * The router's own client path (src/router/proxy/client-connection.ts) on
 * real sockets: simple GETs served without Node's HTTP server, pipelining in
 * order, the hand-over to Node's server at the first request it does not
 * take (a body, garbage), response framing it writes itself, and its
 * keep-alive and header timeouts (with the time given, not waited for).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientConnection,
  type ClientConnectionHost,
} from '../../src/router/proxy/client-connection.ts';
import type { ProxyContext } from '../../src/router/proxy/proxy-context.ts';
import { config, rawUpstream, startUpstream, until, routerTo } from './router-harness.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One client connection kept open across writes; `read` waits for text that satisfies `done`. */
async function connect(port: number): Promise<{
  socket: net.Socket;
  send(text: string): void;
  read(done: (text: string) => boolean): Promise<string>;
  closed: Promise<void>;
}> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  let text = '';
  let waiter: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    waiter?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    send: (bytes) => socket.write(bytes, 'latin1'),
    read: (done) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no complete answer in: ${text}`)), 5000);
        const check = (): void => {
          if (!done(text)) return;
          clearTimeout(timer);
          waiter = null;
          const all = text;
          text = '';
          resolve(all);
        };
        waiter = check;
        check();
      }),
    closed,
  };
}

/** `n` whole responses with a Content-Length body are in `text`. */
function responses(n: number): (text: string) => boolean {
  return (text) => {
    let at = 0;
    for (let i = 0; i < n; i++) {
      const end = text.indexOf('\r\n\r\n', at);
      if (end < 0) return false;
      const length = /content-length: (\d+)/i.exec(text.slice(at, end))?.[1];
      at = end + 4 + Number(length ?? 0);
      if (at > text.length) return false;
    }
    return true;
  };
}

describe('router client path', () => {
  it('answers pipelined GETs on one connection in order, each with its own upstream answer and a Date', async () => {
    const app = await startUpstream('app', (req, res) => {
      // The first answer is the slowest: order must come from the router, not the timing.
      const delay = req.url === '/1' ? 50 : 0;
      const body = `answer to ${req.url}`;
      res.setHeader('Content-Length', body.length);
      setTimeout(() => res.end(body), delay);
    });
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const client = await connect(t.port());
    client.send(
      'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    // The last is HEAD's: a head alone, whatever its Content-Length says.
    const text = await client.read(
      (received) => received.split('HTTP/1.1 200').length === 4 && received.endsWith('\r\n\r\n'),
    );
    const answers = text.split('HTTP/1.1 200 OK\r\n').slice(1);
    expect(answers).toHaveLength(3);
    expect(answers[0]).toMatch(/\r\n\r\nanswer to \/1$/);
    expect(answers[1]).toMatch(/\r\n\r\nanswer to \/2$/);
    // HEAD: the upstream's length, no body.
    expect(answers[2]).toMatch(/content-length: 12\r\n/i);
    expect(answers[2]!.endsWith('\r\n\r\n')).toBe(true);
    for (const answer of answers) expect(answer).toMatch(/(^|\r\n)Date: [A-Z][a-z]{2}, \d\d /);
    expect(app.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /1',
      'GET /2',
      'HEAD /3',
    ]);
    expect(t.observer.of('app').statuses).toEqual([200, 200, 200]);
  });

  it('hands the connection to Node’s server at a request with a body, and serves the GETs before and after it', async () => {
    const app = await startUpstream('app', (req, res, body) =>
      res.end(`${req.method} ${req.url} ${body}`),
    );
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const client = await connect(t.port());
    client.send('GET /before HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await client.read(responses(1))).toMatch(/\r\n\r\nGET \/before $/);
    // A POST and a GET in one write: the POST's head and body were read by
    // the router's path before the hand-over, and must reach Node's parser.
    client.send(
      'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /after HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    const text = await client.read(responses(2));
    expect(text).toMatch(/\r\n\r\nPOST \/upload hello/);
    expect(text).toMatch(/\r\n\r\nGET \/after $/);
    expect(app.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'GET /before ',
      'POST /upload hello',
      'GET /after ',
    ]);
  });

  it('answers a malformed request after good ones with llhttp’s 400 and closes, the good answers intact', async () => {
    const app = await startUpstream('app');
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const client = await connect(t.port());
    client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n');
    const text = await client.read((received) => received.includes('HTTP/1.1 400'));
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(text).toMatch(/\r\n\r\napp/);
    expect(text).toMatch(/HTTP\/1\.1 400 Bad Request\r\nConnection: close\r\n/);
    await client.closed;
    expect(app.requests).toHaveLength(1);
  });

  it('frames an answer without a length as chunked for the client, and keeps the connection', async () => {
    // Answers without a length, ending each answer by closing its connection.
    const app = await rawUpstream('app', (socket) =>
      socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close'),
    );
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const client = await connect(t.port());
    const ends = (text: string): boolean => text.endsWith('0\r\n\r\n');
    client.send('GET /1 HTTP/1.1\r\nHost: a\r\n\r\n');
    const first = await client.read(ends);
    expect(first).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    expect(first.slice(first.indexOf('\r\n\r\n') + 4)).toBe('b\r\nuntil close\r\n0\r\n\r\n');
    client.send('GET /2 HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await client.read(ends)).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('holds the upstream back while a slow client does not read, and delivers every byte after', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const app = await startUpstream('app', (_req, res) => res.end(big));
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const socket = net.connect(t.port(), '127.0.0.1');
    cleanups.push(() => {
      socket.destroy();
    });
    const chunks: Buffer[] = [];
    let length = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    socket.pause();
    socket.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
    // Far more than the sockets between them hold: the router must wait for the client.
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.resume();
    const received = await new Promise<Buffer>((resolve, reject) => {
      // The head is a few hundred bytes: done once the body's length is in.
      const check = (): void => {
        if (length < big.length) return;
        const all = Buffer.concat(chunks);
        const headEnd = all.indexOf('\r\n\r\n');
        if (headEnd >= 0 && all.length - headEnd - 4 >= big.length) resolve(all);
      };
      socket.on('data', check);
      socket.on('error', reject);
      check();
    });
    const headEnd = received.indexOf('\r\n\r\n');
    expect(received.subarray(0, headEnd).toString('latin1')).toMatch(
      new RegExp(`content-length: ${big.length}`, 'i'),
    );
    expect(received.subarray(headEnd + 4).equals(big)).toBe(true);
    await until(() => t.observer.of('app').statuses.length === 1);
    expect(t.observer.of('app').statuses).toEqual([200]);
  });

  it('ends the connection after an answer to Connection: close, and says so', async () => {
    const app = await startUpstream('app');
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const client = await connect(t.port());
    client.send('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const text = await client.read(responses(1));
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    await client.closed;
  });

  it('finishes an answer under way when its service leaves, with Connection: close, then closes', async () => {
    let arrived = 0;
    const app = await startUpstream('app', (_req, res) => {
      arrived++;
      setTimeout(() => res.end('late'), 100);
    });
    cleanups.push(() => app.close());
    const t = await routerTo(cleanups, [app]);
    const busy = await connect(t.port());
    const idle = await connect(t.port());
    idle.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await idle.read(responses(1));
    busy.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => arrived === 2);
    await t.router.apply(config(2, []));
    // The idle connection closes at once; the busy one gets its answer first.
    await idle.closed;
    const text = await busy.read(responses(1));
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    expect(text.endsWith('\r\n\r\nlate')).toBe(true);
    await busy.closed;
  });
});

describe('client connection timeouts', () => {
  /** A ClientConnection on one end of a real loopback connection, with a host that records. */
  async function connectionPair(): Promise<{
    connection: ClientConnection;
    client: net.Socket;
    received: () => string;
    handedOver: net.Socket[];
  }> {
    const accepted = new Promise<net.Socket>((resolve) => {
      const server = net.createServer(resolve);
      server.listen(0, '127.0.0.1', () => {
        const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        cleanups.push(() => {
          client.destroy();
          server.close();
        });
        clientSocket = client;
      });
    });
    let clientSocket: net.Socket | undefined;
    const serverSide = await accepted;
    cleanups.push(() => {
      serverSide.destroy();
    });
    const client = clientSocket as net.Socket;
    let text = '';
    client.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    client.on('error', () => {});
    const handedOver: net.Socket[] = [];
    const host: ClientConnectionHost = {
      // Never read: these connections never get a whole request.
      ctx: {} as ProxyContext,
      route: null,
      preview: false,
      handOver: (socket) => handedOver.push(socket),
      forget: () => {},
    };
    return {
      connection: new ClientConnection(serverSide, host),
      client,
      received: () => text,
      handedOver,
    };
  }

  it('closes an idle keep-alive connection after the keep-alive time, not before', async () => {
    const { connection, client } = await connectionPair();
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const start = connection.idleSince;
    connection.checkTimeouts(start + 4_999, 5_000, 60_000);
    expect(connection.socket.destroyed).toBe(false);
    connection.checkTimeouts(start + 5_001, 5_000, 60_000);
    await closed;
  });

  it('answers 408 to a head that did not come whole in the headers time, and closes', async () => {
    const { connection, client, received, handedOver } = await connectionPair();
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.write('GET / HTTP/1.1\r\nHost: a\r\n');
    await until(() => connection.idleSince > 0 && connection.socket.bytesRead > 0);
    const start = connection.idleSince;
    // A head on its way is not an idle connection: the keep-alive time does not apply.
    connection.checkTimeouts(start + 30_000, 5_000, 60_000);
    expect(connection.socket.destroyed).toBe(false);
    connection.checkTimeouts(start + 60_001, 5_000, 60_000);
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\nConnection: close\r\n/);
    expect(handedOver).toEqual([]);
  });
});
