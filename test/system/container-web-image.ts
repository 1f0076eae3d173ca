/**
 * The web app the container system tests deploy: busybox's httpd (a real
 * third-party web server) in a `FROM scratch` image, answering like
 * test/fixtures/apps/http-app.mjs where the controller tests need it:
 *
 *   GET /healthz        200 "ok" (a static file)
 *   GET /               JSON { version, pool, instance } from a CGI script;
 *                       `version` is the image's own (/version, written at
 *                       build time), so an answer proves which image runs
 *   GET /?delay=N       the same, N ms late
 *   FAIL_RATE=R (env)   GET / answers 500 on a share R of requests, evenly
 *                       spread through a counter file (the 5th, 10th... for 0.2)
 *   /cgi-bin/crash?code=N   makes the container exit with code N, logging why
 *
 * PID 1 is a shell that traps SIGTERM, stops httpd and exits 0, and exits
 * with the asked code on SIGUSR1 (what /cgi-bin/crash sends it).
 */
import type { ContainerEngine } from '../../src/runtime/container/container-engine.ts';
import { BUSYBOX_BASE, buildImage, busyboxFiles } from './container-support.ts';
import type { ImageFile } from './container-support.ts';

/** The port httpd listens on inside the container (the spec's `port`). */
export const WEB_PORT = 8080;

const START = `#!/bin/sh
httpd -f -p "0.0.0.0:\${PORT:-${WEB_PORT}}" -h /www &
httpd=$!
trap 'kill $httpd; wait $httpd; echo "stopped on SIGTERM"; exit 0' TERM
trap 'code=$(cat /tmp/crash-code); echo "crashing with code $code" >&2; exit "$code"' USR1
echo "version $(cat /version) listening on \${PORT:-${WEB_PORT}}"
while kill -0 $httpd 2>/dev/null; do wait $httpd; done
`;

const INDEX = `#!/bin/sh
read -r version < /version
status="200 OK"
if [ -n "$FAIL_RATE" ]; then
  # httpd runs one CGI process per request: mkdir is the lock (atomic; busybox has no flock here).
  until mkdir /tmp/counter.lock 2>/dev/null; do usleep 500; done
  n=$(( $(cat /tmp/counter 2>/dev/null || echo 0) + 1 ))
  echo "$n" > /tmp/counter
  rmdir /tmp/counter.lock
  if awk -v n="$n" -v r="$FAIL_RATE" 'BEGIN { exit !(int(n * r) > int((n - 1) * r)) }'; then
    status="500 Internal Server Error"
  fi
fi
case "$QUERY_STRING" in
  *delay=*) delay=\${QUERY_STRING##*delay=}; delay=\${delay%%&*}; usleep $((delay * 1000)) ;;
esac
printf 'HTTP/1.0 %s\\r\\nContent-Type: application/json\\r\\n\\r\\n' "$status"
printf '{"version":"%s","pool":"%s","instance":"%s"}\\n' "$version" "$SWITCHYARD_POOL" "$SWITCHYARD_INSTANCE"
`;

const CRASH = `#!/bin/sh
code=\${QUERY_STRING##*code=}
echo "$code" > /tmp/crash-code
printf 'HTTP/1.0 202 Accepted\\r\\nContent-Type: text/plain\\r\\n\\r\\ncrashing\\n'
kill -USR1 1
`;

const FILES: readonly ImageFile[] = [
  ...busyboxFiles(),
  { path: 'start.sh', content: START, mode: 0o755 },
  { path: 'www/healthz', content: 'ok\n' },
  { path: 'www/cgi-bin/index.cgi', content: INDEX, mode: 0o755 },
  { path: 'www/cgi-bin/crash', content: CRASH, mode: 0o755 },
];

const CONTAINERFILE = [
  BUSYBOX_BASE,
  'RUN ["/bin/mkdir", "-m", "1777", "/tmp"]',
  'COPY start.sh /start.sh',
  'COPY www /www',
  // A file, not a build arg: Podman's layer cache does not tell build args apart.
  'COPY version /version',
  `EXPOSE ${WEB_PORT}`,
  'CMD ["/start.sh"]',
].join('\n');

/** Builds `<repository>:<version>`, whose answers carry that version. */
export async function buildWebImage(
  engine: ContainerEngine,
  repository: string,
  version: string,
): Promise<string> {
  const tag = `${repository}:${version}`;
  const files = [...FILES, { path: 'version', content: `${version}\n` }];
  await buildImage(engine, { tag, containerfile: CONTAINERFILE, files });
  return tag;
}
