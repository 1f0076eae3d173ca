/**
 * The naive baseline: a plain node:http reverse proxy (http.request + pipe,
 * one keep-alive Agent), round-robin over the upstreams.
 *   node bench/naive-proxy.ts LISTEN_PORT UPSTREAM_PORT...
 */
import http from 'node:http';

const [listen, ...upstreams] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let next = 0;

const server = http.createServer((req, res) => {
  const port = upstreams[next++ % upstreams.length] as number;
  const upstreamReq = http.request(
    { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    },
  );
  upstreamReq.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstreamReq);
});
server.listen(listen, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
