/**
 * Shared parts of the router system tests: real upstream HTTP servers on
 * loopback port 0, a HealthView double (everything healthy unless a test says
 * otherwise — active health checks are tested in src/router/health/), a
 * counting RequestObserver, a config builder and a small HTTP client.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { RouterConfig, RouterPool, RouterService } from '../../src/router/config.ts';
import { routerService } from '../../src/router/config.ts';
import type { HealthView, InstanceObserver, RequestObserver } from '../../src/router/observer.ts';
import { Router, type RouterOptions } from '../../src/router/router.ts';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

export interface TestUpstream {
  readonly id: string;
  readonly port: number;
  readonly server: http.Server;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

export type UpstreamHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: string,
) => void;

/** Answers `200 <id>` unless given its own handler; records every request it got. */
export async function startUpstream(id: string, handler?: UpstreamHandler): Promise<TestUpstream> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      });
      if (handler !== undefined) handler(req, res, body);
      else res.end(id);
    });
  });
  await listen(server);
  return {
    id,
    port: (server.address() as AddressInfo).port,
    server,
    requests,
    close: () => closeServer(server),
  };
}

export function listen(server: http.Server | NetServer): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A port nothing listens on: bound, then released. */
export async function refusedPort(): Promise<number> {
  const server = http.createServer();
  await listen(server);
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

/** An instance address a pool can name; nothing need listen there. */
export type InstanceAddress = Pick<TestUpstream, 'id' | 'port'>;

/** A pool instance that points at a port nothing listens on. */
export async function refusingInstance(id: string): Promise<InstanceAddress> {
  return { id, port: await refusedPort() };
}

export interface RawUpstream extends InstanceAddress {
  /** Every request it read in full (headers and Content-Length body), as latin1 text. */
  readonly seen: string[];
  close(): Promise<void>;
}

/** A raw TCP upstream: reads a request, then does what `onRequest` says with the socket. */
export async function rawUpstream(
  id: string,
  onRequest: (socket: net.Socket, request: string) => void,
): Promise<RawUpstream> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const headerEnd = buffered.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const lengthAt = buffered.toLowerCase().indexOf('content-length: ');
      const length = lengthAt < 0 ? 0 : parseInt(buffered.slice(lengthAt + 16), 10);
      if (buffered.length < headerEnd + 4 + length) return;
      seen.push(buffered);
      const request = buffered;
      buffered = '';
      onRequest(socket, request);
    });
  });
  await listen(server);
  return {
    id,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export class TestHealth implements HealthView {
  readonly unhealthy = new Set<string>();
  readonly connectFailures: string[] = [];
  /** Act like the real checker's passive ejection: a connect failure makes an instance unhealthy. */
  ejectOnConnectFailure = false;
  isHealthy(_service: string, instanceId: string): boolean {
    return !this.unhealthy.has(instanceId);
  }
  reportConnectFailure(_service: string, instanceId: string): void {
    this.connectFailures.push(instanceId);
    if (this.ejectOnConnectFailure) this.unhealthy.add(instanceId);
  }
}

export interface InstanceCounts {
  started: number;
  finished: number;
  statuses: number[];
  connectionsOpened: number;
  connectionsClosed: number;
  websocketsOpened: number;
  websocketsClosed: number;
  retried: number;
}

export class CountingObserver implements RequestObserver {
  readonly instances = new Map<string, InstanceCounts>();
  readonly forgotten: string[] = [];
  noUpstreamCount = 0;

  forInstance(key: { service: string; pool: string; instanceId: string }): InstanceObserver {
    const counts: InstanceCounts = {
      started: 0,
      finished: 0,
      statuses: [],
      connectionsOpened: 0,
      connectionsClosed: 0,
      websocketsOpened: 0,
      websocketsClosed: 0,
      retried: 0,
    };
    this.instances.set(key.instanceId, counts);
    return {
      requestStarted: () => void counts.started++,
      requestFinished: (status) => {
        counts.finished++;
        counts.statuses.push(status);
      },
      connectionOpened: () => void counts.connectionsOpened++,
      connectionClosed: () => void counts.connectionsClosed++,
      websocketOpened: () => void counts.websocketsOpened++,
      websocketClosed: () => void counts.websocketsClosed++,
      retried: () => void counts.retried++,
    };
  }

  noUpstream(): void {
    this.noUpstreamCount++;
  }

  forget(key: { service: string; pool: string; instanceId: string }): void {
    this.forgotten.push(key.instanceId);
  }

  of(instanceId: string): InstanceCounts {
    const counts = this.instances.get(instanceId);
    if (counts === undefined) throw new Error(`no observer for ${instanceId}`);
    return counts;
  }
}

export function pool(
  name: string,
  weight: number,
  upstreams: readonly InstanceAddress[],
): RouterPool {
  return {
    name,
    weight,
    instances: upstreams.map((u) => ({ id: u.id, host: '127.0.0.1', port: u.port })),
  };
}

export function service(
  pools: readonly RouterPool[],
  overrides: Partial<RouterService> = {},
): RouterService {
  return routerService({
    name: 'shop/beta',
    listen: { port: 0, host: '127.0.0.1' },
    pools,
    drainTimeoutMs: 10_000,
    ...overrides,
  });
}

export function config(generation: number, services: readonly RouterService[]): RouterConfig {
  return { generation, services };
}

export interface TestRouter {
  readonly router: Router;
  readonly health: TestHealth;
  readonly observer: CountingObserver;
  /** The port of a listener, by kind ('listen' unless asked). */
  port(kind?: 'listen' | 'preview', serviceName?: string): number;
}

export function makeRouter(options: Partial<RouterOptions> = {}): TestRouter {
  const health = new TestHealth();
  const observer = new CountingObserver();
  const router = new Router({ health, observer, ...options });
  return {
    router,
    health,
    observer,
    port(kind = 'listen', serviceName = 'shop/beta') {
      const found = router
        .listeningPorts()
        .find((p) => p.kind === kind && p.service === serviceName);
      if (found === undefined) throw new Error(`no ${kind} listener for ${serviceName}`);
      return found.port;
    },
  };
}

/**
 * A router serving one service with one pool of `instances`; closing it is
 * pushed onto `cleanups`.
 */
export async function routerTo(
  cleanups: (() => Promise<unknown> | void)[],
  instances: readonly InstanceAddress[],
  options: Partial<RouterOptions> = {},
): Promise<TestRouter> {
  const t = makeRouter(options);
  cleanups.push(() => t.router.close());
  await t.router.apply(config(1, [service([pool('stable', 1, instances)])]));
  return t;
}

export interface TestResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export function get(
  port: number,
  options: {
    path?: string;
    method?: string;
    headers?: http.OutgoingHttpHeaders;
    agent?: http.Agent;
    body?: string;
  } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls `condition` every 5 ms, at most 2,000 times. */
export async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error('condition not reached');
}

/** Counts answers by body (the upstream id) over `count` sequential requests. */
export async function tally(
  port: number,
  count: number,
  options: Parameters<typeof get>[1] = {},
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    // Eight at a time: bounded in requests and concurrency.
    for (let sent = 0; sent < count; sent += 8) {
      const batch = Math.min(8, count - sent);
      const answers = await Promise.all(
        Array.from({ length: batch }, () => get(port, { ...options, agent })),
      );
      for (const answer of answers) counts.set(answer.body, (counts.get(answer.body) ?? 0) + 1);
    }
  } finally {
    agent.destroy();
  }
  return counts;
}
