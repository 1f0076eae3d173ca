#!/usr/bin/env bash
# The README's test command (`npm test`): static checks, unit tests, then the
# system tests one file at a time. It checks the system tools the tests need
# up front: as root on Debian it installs them, otherwise it stops at once,
# saying what to install, rather than skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

# test/system/analysis-prometheus.test.ts runs a real Prometheus at this path.
needed() {
  missing=()
  for tool in /bin/sh ps curl /usr/bin/prometheus; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ -r /proc/self/stat ] || missing+=("/proc (procfs)")
}
needed
# On a fresh Debian machine as root, install what is missing rather than stop.
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing the test prerequisites from Debian: procps curl prometheus"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq procps curl prometheus >/dev/null
  needed
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "The tests need: ${missing[*]}. Install them (Debian: apt-get install -y procps curl prometheus) and run again." >&2
  exit 2
fi

echo "== node $(node --version) (pinned by the 'node' devDependency)"
echo "== lint and types"
npx tsc -p tsconfig.json --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
status=0
echo "== unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$reports/unit.json" || status=$?
echo "== system tests (one file at a time)"
# The container tests run against a real engine's Docker API. With none
# answering (no DOCKER_HOST, no Docker or Podman socket that answers), set up
# Podman: it installs it from Debian if needed and starts its API service.
engine_answers() {
  if [ -n "${DOCKER_HOST:-}" ]; then return 0; fi
  for socket in /var/run/docker.sock /run/podman/podman.sock; do
    [ -S "$socket" ] && curl --silent --fail --max-time 2 --unix-socket "$socket" http://d/v1.41/version >/dev/null 2>&1 && return 0
  done
  return 1
}
if ! engine_answers; then
  if [ "$(id -u)" = 0 ]; then
    bash scripts/setup-podman.sh
  else
    echo "The container tests need Docker or Podman's API: run 'sudo bash scripts/setup-podman.sh' once, or set DOCKER_HOST, and run again." >&2
    exit 2
  fi
fi
npx vitest run --project system --reporter=default --reporter=json --outputFile.json="$reports/system.json" || status=$?
node scripts/test-summary.ts "$reports"/*.json
exit "$status"
