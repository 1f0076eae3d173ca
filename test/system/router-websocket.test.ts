import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket as WsClient, WebSocketServer } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeServer,
  config,
  listen,
  makeRouter,
  pool,
  rawUpstream,
  refusingInstance,
  service,
  until,
  type TestRouter,
  type TestUpstream,
} from './router-harness.ts';

/** A real WebSocket upstream (the `ws` package) that echoes `<id>:<message>`. */
async function startEchoUpstream(id: string): Promise<TestUpstream & { wss: WebSocketServer }> {
  const server = http.createServer((_req, res) => res.end(id));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => socket.send(`${id}:${String(data)}`));
  });
  await listen(server);
  return {
    id,
    port: (server.address() as AddressInfo).port,
    server,
    requests: [],
    wss,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(server);
    },
  };
}

/** Node 24's global WebSocket client, opened and ready. */
async function openSocket(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/chat`);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('websocket failed to open')), {
      once: true,
    });
  });
  return socket;
}

function echo(socket: WebSocket, message: string): Promise<string> {
  return new Promise((resolve) => {
    socket.addEventListener('message', (event) => resolve(String(event.data)), { once: true });
    socket.send(message);
  });
}

function closed(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve();
    else socket.addEventListener('close', () => resolve(), { once: true });
  });
}

/** The status a WebSocket handshake gets: 101 when it opens, -1 on a network error. */
async function upgradeStatus(port: number): Promise<number> {
  const client = new WsClient(`ws://127.0.0.1:${port}/`);
  const status = await new Promise<number>((resolve) => {
    client.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    client.once('open', () => resolve(101));
    client.once('error', () => resolve(-1));
  });
  client.terminate();
  return status;
}

describe('router WebSocket proxying', () => {
  let a: TestUpstream & { wss: WebSocketServer };
  let b: TestUpstream & { wss: WebSocketServer };
  let t: TestRouter;
  const opened: WebSocket[] = [];

  beforeEach(async () => {
    a = await startEchoUpstream('a');
    b = await startEchoUpstream('b');
    t = makeRouter();
  });

  afterEach(async () => {
    for (const socket of opened.splice(0)) socket.close();
    await t.router.close();
    await a.close();
    await b.close();
  });

  it('keeps a WebSocket on pool A through a switch to B until A drains; new ones go to B', async () => {
    await t.router.apply(
      config(1, [service([pool('A', 100, [a]), pool('B', 0, [b])], { drainTimeoutMs: 400 })]),
    );
    const old = await openSocket(t.port());
    opened.push(old);
    expect(await echo(old, 'hi')).toBe('a:hi');
    expect(t.observer.of('a').websocketsOpened).toBe(1);

    // All weight to B: the open tunnel is untouched.
    await t.router.apply(
      config(2, [service([pool('A', 0, [a]), pool('B', 100, [b])], { drainTimeoutMs: 400 })]),
    );
    expect(await echo(old, 'still')).toBe('a:still');
    const fresh = await openSocket(t.port());
    opened.push(fresh);
    expect(await echo(fresh, 'hello')).toBe('b:hello');

    // A leaves the config: its tunnel lives on until the drain timeout, then closes.
    await t.router.apply(config(3, [service([pool('B', 100, [b])], { drainTimeoutMs: 400 })]));
    expect(t.router.drainState().find((e) => e.instanceId === 'a')).toMatchObject({
      websockets: 1,
      draining: true,
      drained: false,
    });
    expect(await echo(old, 'draining')).toBe('a:draining');
    const result = await t.router.waitDrained({
      service: 'shop/beta',
      instanceIds: ['a'],
      timeoutMs: 60_000,
    });
    expect(result).toEqual({ drained: ['a'], timedOut: [] });
    await closed(old);
    await until(() => t.observer.of('a').websocketsClosed === 1);
    // The tunnel to B is not affected by A's drain.
    expect(await echo(fresh, 'after')).toBe('b:after');
    expect(t.observer.of('b').websocketsOpened).toBe(1);
  });

  it('follows the override header and the preview listener for upgrades', async () => {
    await t.router.apply(
      config(1, [
        service([pool('A', 100, [a]), pool('B', 0, [b])], {
          preview: { port: 0, host: '127.0.0.1' },
        }),
      ]),
    );
    const overridden = new WsClient(`ws://127.0.0.1:${t.port()}/`, {
      headers: { 'X-Switchyard-Pool': 'B' },
    });
    await new Promise((resolve, reject) => overridden.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) =>
      overridden.once('message', (d) => resolve(String(d))),
    );
    overridden.send('x');
    expect(await reply).toBe('b:x');
    overridden.close();

    // No previewPool named: the preview listener reaches the newest (last) pool.
    const preview = await openSocket(t.port('preview'));
    opened.push(preview);
    expect(await echo(preview, 'p')).toBe('b:p');
  });

  it('retries an upgrade that could not connect on another instance', async () => {
    const refused = await refusingInstance('refused');
    await t.router.apply(config(1, [service([pool('A', 1, [refused, a])])]));
    const socket = await openSocket(t.port());
    opened.push(socket);
    expect(await echo(socket, 'r')).toBe('a:r');
    expect(t.health.connectFailures).toEqual(['refused']);
    expect(t.observer.of('refused').retried).toBe(1);
  });

  it('answers 504 to an upgrade the instance never answers: no ejection, no retry', async () => {
    // Accepts the connection and reads the handshake, but never replies.
    const silent = await rawUpstream('silent', () => {});
    try {
      await t.router.close();
      t = makeRouter({ responseTimeoutMs: 200 });
      await t.router.apply(config(1, [service([pool('A', 1, [silent, a])])]));
      const status = await upgradeStatus(t.port());

      expect(status).toBe(504);
      expect(silent.seen.join('')).toContain('Upgrade: websocket');
      expect(t.health.connectFailures).toEqual([]);
      expect(t.observer.of('silent').retried).toBe(0);
      expect(t.observer.of('silent').statuses).toEqual([504]);
      expect(t.observer.of('a').started).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('answers an upgrade with 503 when no instance is healthy', async () => {
    t.health.unhealthy.add('a');
    await t.router.apply(config(1, [service([pool('A', 100, [a])])]));
    expect(await upgradeStatus(t.port())).toBe(503);
    expect(t.observer.noUpstreamCount).toBe(1);
  });
});
