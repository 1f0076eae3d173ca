#!/usr/bin/env bash
# The README's test command (`npm test`): static checks, unit tests, then the
# system tests one file at a time. It checks the system tools the tests need
# up front and stops at once, saying what to install, rather than skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# test/system/analysis-prometheus.test.ts runs a real Prometheus at this path.
for tool in /bin/sh ps /usr/bin/prometheus; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ -r /proc/self/stat ] || missing+=("/proc (procfs)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "The tests need: ${missing[*]}. Install them (Debian: apt-get install -y procps prometheus) and run again." >&2
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
npx vitest run --project system --reporter=default --reporter=json --outputFile.json="$reports/system.json" || status=$?
node scripts/test-summary.ts "$reports"/*.json
exit "$status"
