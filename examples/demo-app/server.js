// The demo app: a tiny HTTP service that says which version answered.
// It reads PORT and SWITCHYARD_* from its environment like any instance
// Switchyard starts, answers /healthz, and on SIGTERM stops accepting new
// connections but finishes the requests it already has (graceful shutdown).
import http from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const version = process.env.SWITCHYARD_VERSION ?? 'dev';
const pool = process.env.SWITCHYARD_POOL ?? 'none';
const instance = process.env.SWITCHYARD_INSTANCE ?? `pid-${process.pid}`;
// DEMO_ERROR_RATE=0.2 makes a bad build: 20% of requests answer 500.
const errorRate = Number(process.env.DEMO_ERROR_RATE ?? 0);

const server = http.createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok\n');
    return;
  }
  const delay = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
  setTimeout(
    () => {
      const failed = Math.random() < errorRate;
      response.writeHead(failed ? 500 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ version, pool, instance, ok: !failed }) + '\n');
    },
    Math.min(delay, 10_000),
  );
});

server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1', () => {
  console.log(`demo-app ${version} (${pool}) listening on 127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  console.log(`demo-app ${version} draining`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
});
