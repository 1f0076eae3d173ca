import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on `host` by binding port 0, then
 * releases it so the instance can bind it.
 *
 * There is a small race: between this close and the instance's bind another
 * process may take the port. The instance then fails to listen and exits (or
 * never passes its health check), and the controller replaces it; handing the
 * instance an already-open socket would avoid the race but no ordinary web
 * app accepts one.
 */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error(`no port on ${host}`))));
    });
  });
}
