#!/usr/bin/env bash
# Gives this machine a container engine that speaks the Docker Engine API,
# without Docker: Podman from Debian, serving the API on
# /run/podman/podman.sock. Safe to run again; it only does what is missing:
#
#   1. installs podman, runc and busybox-static from Debian if podman is absent;
#   2. writes /etc/containers/containers.conf with the settings small VMs need
#      (cgroupfs, runc, file events, bounded ulimits), unless the file exists;
#   3. starts `podman system service` in the background if the socket does
#      not answer, and waits until /v1.41/version answers.
#
# Needs root (it installs packages and listens on /run/podman). Docs:
# docs/containers.md, "Trying it without Docker".
set -euo pipefail

SOCKET="${PODMAN_SOCKET:-/run/podman/podman.sock}"
LOG="${PODMAN_SERVICE_LOG:-/var/log/podman-service.log}"
CONF=/etc/containers/containers.conf

say() { printf 'setup-podman: %s\n' "$*"; }
fail() {
  printf 'setup-podman: %s\n' "$*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run me as root: I install packages and serve the API on $SOCKET."

answers() {
  curl --silent --fail --max-time 2 --unix-socket "$SOCKET" http://d/v1.41/version >/dev/null 2>&1
}

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
[ -x /bin/busybox ] || missing+=(busybox-static)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Out of the box Podman fails on small VMs: crun cannot use hybrid cgroups,
# and the default nproc ulimit cannot be set ("setrlimit RLIMIT_NPROC").
# A containers.conf someone already wrote is theirs: leave it alone.
if [ ! -e "$CONF" ]; then
  say "writing $CONF"
  mkdir -p "$(dirname "$CONF")"
  cat >"$CONF" <<'EOF'
# Written by switchyard's scripts/setup-podman.sh.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=1000:1000"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
EOF
else
  say "$CONF exists; leaving it as it is"
fi

if answers; then
  say "the Docker-compatible API already answers on $SOCKET"
  exit 0
fi

mkdir -p "$(dirname "$SOCKET")"
# A socket file left by a service that died would make the new one fail to bind.
[ -S "$SOCKET" ] && rm -f "$SOCKET"
say "starting podman system service on unix://$SOCKET (log: $LOG)"
# setsid: the service must outlive this script and the test run that called it.
setsid podman system service --time=0 "unix://$SOCKET" >>"$LOG" 2>&1 </dev/null &

for _ in $(seq 1 300); do
  if answers; then
    say "the Docker-compatible API answers on $SOCKET"
    exit 0
  fi
  sleep 0.1
done
fail "podman system service did not answer on $SOCKET within 30 s; see $LOG."
