/**
 * Real HTTP servers on a loopback port (port 0) for unit tests of code that
 * calls out over HTTP, each closed with its connections after the test that
 * started it: `const serve = useLoopbackServers();` at the top of the file,
 * then `const base = await serve((request, response) => …)` in a test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** Starts a server with `handler` and resolves to its base URL, `http://127.0.0.1:<port>`. */
export type ServeOnLoopback = (handler?: http.RequestListener) => Promise<string>;

export function useLoopbackServers(): ServeOnLoopback {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0).reverse()) {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    }
  });
  return async (handler) => {
    const server = http.createServer(handler);
    await listen(server);
    servers.push(server);
    return baseUrl(server);
  };
}

/** The base URL of a loopback port that was bound, then released: nothing listens there. */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await listen(server);
  const url = baseUrl(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function baseUrl(server: http.Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
