import type http from 'node:http';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  config,
  get,
  makeRouter,
  pool,
  rawUpstream,
  refusingInstance,
  service,
  startUpstream,
  type TestRouter,
  type TestUpstream,
  until,
} from './router-harness.ts';

describe('router retries and upstream failures', () => {
  let good: TestUpstream;
  let t: TestRouter;
  const extra: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    good = await startUpstream('good', (req, res, body) => res.end(`good ${req.method} ${body}`));
    t = makeRouter({ responseTimeoutMs: 300 });
  });

  afterEach(async () => {
    await t.router.close();
    await good.close();
    await Promise.all(extra.splice(0).map((u) => u.close()));
  });

  it('retries a GET that could not connect on another healthy instance and reports the failure', async () => {
    const refused = await refusingInstance('refused');
    await t.router.apply(config(1, [service([pool('stable', 1, [refused, good])])]));
    for (let i = 0; i < 6; i++) {
      const answer = await get(t.port());
      expect(answer.status).toBe(200);
      expect(answer.body).toBe('good GET ');
    }
    // The double does not eject, and round-robin starts each request at the
    // refusing instance: every request failed there first and was retried.
    expect(t.health.connectFailures).toEqual(Array(6).fill('refused'));
    expect(t.observer.of('refused').retried).toBe(6);
    // A retried attempt is not a finished request: the client never saw a
    // failure, so it must not count against the pool's error rate.
    expect(t.observer.of('refused').statuses).toEqual([]);
    expect(t.observer.of('good').statuses).toEqual(Array(6).fill(200));
  });

  it('stops trying an instance once the health view ejects it after a connect failure', async () => {
    t.health.ejectOnConnectFailure = true;
    const refused = await refusingInstance('refused');
    await t.router.apply(config(1, [service([pool('stable', 1, [refused, good])])]));
    for (let i = 0; i < 6; i++) expect((await get(t.port())).status).toBe(200);
    expect(t.health.connectFailures).toEqual(['refused']);
    expect(good.requests.length).toBe(6);
  });

  it('retries a POST whose connect failed: its body was never sent', async () => {
    const refused = await refusingInstance('refused');
    await t.router.apply(config(1, [service([pool('stable', 1, [refused, good])])]));
    const answer = await get(t.port(), { method: 'POST', body: 'order=1' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('good POST order=1');
    expect(good.requests[0]?.body).toBe('order=1');
  });

  it('does not retry a POST whose body reached an instance that then reset: 502', async () => {
    const resetter = await rawUpstream('resetter', (socket) => socket.resetAndDestroy());
    extra.push(resetter);
    await t.router.apply(config(1, [service([pool('stable', 1, [resetter, good])])]));
    const answer = await get(t.port(), { method: 'POST', body: 'pay=10' });
    expect(answer.status).toBe(502);
    expect(resetter.seen.length).toBe(1);
    expect(resetter.seen[0]).toContain('pay=10');
    expect(good.requests.length).toBe(0);
    expect(t.observer.of('resetter').retried).toBe(0);
    expect(t.observer.of('resetter').statuses).toEqual([502]);
  });

  it('sends a request again on a fresh connection when a reused one is reset before any answer, without reporting a failure', async () => {
    // Answers the first request of each connection and keeps it open, then
    // resets it on the next request: what the router sees when an instance
    // closes an idle connection just as it is reused.
    const connections = new WeakMap<net.Socket, number>();
    const closing = await rawUpstream('closing', (socket, request) => {
      const served = connections.get(socket) ?? 0;
      connections.set(socket, served + 1);
      if (served > 0) {
        socket.resetAndDestroy();
        return;
      }
      const body = `closing ${request.slice(0, request.indexOf(' '))}`;
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
    extra.push(closing);
    await t.router.apply(config(1, [service([pool('stable', 1, [closing])])]));

    for (const method of ['GET', 'GET', 'DELETE', 'POST']) {
      const answer = await get(t.port(), { method, headers: { 'content-length': '0' } });
      expect(answer).toMatchObject({ status: 200, body: `closing ${method}` });
    }
    expect(t.health.connectFailures).toEqual([]);
    // Each request after the first met a reused connection, was reset, and went again.
    expect(t.observer.of('closing').retried).toBe(3);
    expect(t.observer.of('closing').statuses).toEqual([200, 200, 200, 200]);
  });

  it('answers 502 without reporting a failure when a reused connection is reset after body bytes left', async () => {
    const connections = new WeakMap<net.Socket, number>();
    const closing = await rawUpstream('closing', (socket) => {
      const served = connections.get(socket) ?? 0;
      connections.set(socket, served + 1);
      if (served > 0) socket.resetAndDestroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    extra.push(closing);
    await t.router.apply(config(1, [service([pool('stable', 1, [closing])])]));

    expect((await get(t.port())).status).toBe(200);
    const answer = await get(t.port(), { method: 'POST', body: 'pay=10' });

    expect(answer.status).toBe(502);
    expect(closing.seen.at(-1)).toContain('pay=10');
    expect(closing.seen.length).toBe(2);
    expect(t.health.connectFailures).toEqual([]);
  });

  it('treats an idle keep-alive connection the instance closed as it was reused as no failure: retried, no 502', async () => {
    // The instance closes idle connections after 50 ms but announces a long
    // idle timeout (as a server behind its own proxy may), so the router's
    // agent keeps them: requests spaced around 50 ms apart race its close.
    const quick = await startUpstream('quick', (req, res, body) => {
      res.setHeader('Keep-Alive', 'timeout=60');
      res.end(`quick ${req.method} ${body}`);
    });
    extra.push(quick);
    quick.server.keepAliveTimeout = 50;
    (quick.server as http.Server & { keepAliveTimeoutBuffer?: number }).keepAliveTimeoutBuffer = 0;
    await t.router.apply(config(1, [service([pool('stable', 1, [quick])])]));

    const statuses: number[] = [];
    // Four clients in parallel, each waiting 40 to 60 ms between requests.
    await Promise.all(
      Array.from({ length: 4 }, async (_, client) => {
        for (let i = 0; i < 100; i++) {
          await sleep(48 + ((i + client) % 4));
          const answer =
            i % 2 === 0
              ? await get(t.port())
              : await get(t.port(), { method: 'POST', headers: { 'content-length': '0' } });
          statuses.push(answer.status);
        }
      }),
    );

    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(t.health.connectFailures).toEqual([]);
    expect(t.observer.of('quick').statuses.filter((status) => status !== 200)).toEqual([]);
  });

  /**
   * An instance that answers the first request on each connection (keeping it
   * alive, it says, for a minute) and closes the connection at the second
   * once it has read it whole, body included, without answering: the
   * keep-alive race, caught after the router sent the request body.
   */
  async function closesReusedConnections(id: string) {
    const perSocket = new WeakMap<net.Socket, number>();
    const upstream = await rawUpstream(id, (socket, request) => {
      const index = perSocket.get(socket) ?? 0;
      perSocket.set(socket, index + 1);
      if (index > 0) {
        socket.destroy();
        return;
      }
      const body = request.slice(request.indexOf('\r\n\r\n') + 4);
      const answer = `${request.slice(0, request.indexOf(' '))} ${body.length}`;
      socket.write(
        `HTTP/1.1 200 OK\r\nKeep-Alive: timeout=60\r\nContent-Length: ${answer.length}\r\n\r\n${answer}`,
      );
    });
    extra.push(upstream);
    return upstream;
  }

  it('sends a replayable request whose body already went out again on a fresh connection after the keep-alive race', async () => {
    const racy = await closesReusedConnections('racy');
    await t.router.apply(config(1, [service([pool('stable', 1, [racy])])]));
    const body = 'x'.repeat(60 * 1024);
    // PUT is idempotent; a POST is replayable when its client gave an Idempotency-Key.
    const requests = [
      { method: 'PUT', headers: {} },
      { method: 'POST', headers: { 'Idempotency-Key': 'order-17' } },
    ];
    for (const { method, headers } of requests) {
      expect((await get(t.port())).body).toBe('GET 0');
      const answer = await get(t.port(), { method, headers, body });
      expect(answer).toMatchObject({ status: 200, body: `${method} ${body.length}` });
      // It went out twice, whole each time: on the reused connection, then a fresh one.
      const sent = racy.seen.filter((request) => request.startsWith(method));
      expect(sent).toHaveLength(2);
      for (const request of sent) expect(request.endsWith(`\r\n\r\n${body}`)).toBe(true);
    }
    expect(t.health.connectFailures).toEqual([]);
    // Each request after the first met a reused connection: PUT, the second GET, POST.
    expect(t.observer.of('racy').retried).toBe(3);
    expect(t.observer.of('racy').statuses).toEqual([200, 200, 200, 200]);
  });

  it('answers 502 rather than send a replayable body again when it was too large to keep', async () => {
    const racy = await closesReusedConnections('racy');
    await t.router.apply(config(1, [service([pool('stable', 1, [racy])])]));
    expect((await get(t.port())).status).toBe(200);
    const answer = await get(t.port(), { method: 'PUT', body: 'x'.repeat(200 * 1024) });
    expect(answer.status).toBe(502);
    expect(racy.seen.filter((request) => request.startsWith('PUT'))).toHaveLength(1);
    expect(t.health.connectFailures).toEqual([]);
  });

  it('answers 502 when no other instance can take the retry', async () => {
    const refused = await refusingInstance('refused');
    await t.router.apply(config(1, [service([pool('stable', 1, [refused])])]));
    const answer = await get(t.port());
    expect(answer.status).toBe(502);
    expect(t.health.connectFailures).toEqual(['refused']);
  });

  it('answers 504 when the instance does not answer in time', async () => {
    const silent = await rawUpstream('silent', () => {});
    extra.push(silent);
    await t.router.apply(config(1, [service([pool('stable', 1, [silent])])]));
    const answer = await get(t.port());
    expect(answer.status).toBe(504);
    expect(silent.seen.length).toBe(1);
    expect(t.observer.of('silent').statuses).toEqual([504]);
  });

  it('cuts the client connection when the instance dies after its headers (content-length)', async () => {
    const dying = await rawUpstream('dying', (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789');
      setTimeout(() => socket.destroy(), 20);
    });
    extra.push(dying);
    await t.router.apply(config(1, [service([pool('stable', 1, [dying])])]));
    await expect(get(t.port())).rejects.toThrow();
    // A cut response counts as a proxy failure, not as the 200 it started as.
    await until(() => t.observer.of('dying').finished === 1);
    expect(t.observer.of('dying').statuses).toEqual([502]);
  });

  it('cuts the client connection when the instance dies mid chunked body', async () => {
    const dying = await rawUpstream('dying', (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n');
      setTimeout(() => socket.destroy(), 20);
    });
    extra.push(dying);
    await t.router.apply(config(1, [service([pool('stable', 1, [dying])])]));
    // A complete-looking chunked response would resolve; a cut one rejects.
    await expect(get(t.port())).rejects.toThrow();
  });
});
