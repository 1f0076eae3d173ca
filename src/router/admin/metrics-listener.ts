import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertLoopbackHost } from './loopback.ts';

export interface MetricsListenerOptions {
  /** Loopback only; defaults to 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly metricsText: () => Promise<string>;
  readonly contentType: string;
}

export interface MetricsListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * An optional, unauthenticated `GET /metrics` on a loopback port, for a local
 * Prometheus to scrape without holding the admin token (which could change
 * routing). Metrics carry no secrets; it refuses every other path and method.
 */
export async function startMetricsListener(
  options: MetricsListenerOptions,
): Promise<MetricsListener> {
  const host = options.host ?? '127.0.0.1';
  assertLoopbackHost(host, 'router metrics listener');
  const server = http.createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('Only GET /metrics is served here.\n');
      return;
    }
    options.metricsText().then(
      (text) => response.writeHead(200, { 'content-type': options.contentType }).end(text),
      () =>
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end('Collecting metrics failed.\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
