#!/usr/bin/env bash
# Makes sure a Docker engine answers: does nothing when one does, otherwise installs Debian's
# docker.io if missing and starts dockerd in the background (log and pid file under $STATE).
# Idempotent and safe to call from parallel tests (a lock serialises the start).
set -euo pipefail
state=${STELLARS_DOCKER_STATE:-/var/lib/stellars/docker}
log="$state/dockerd.log"
pidfile="$state/dockerd.pid"
wait_s=${STELLARS_DOCKER_WAIT:-60}

answers() { timeout 10 docker info >/dev/null 2>&1; }

answers && exit 0
mkdir -p "$state"
exec 9>"$state/start.lock"
flock 9
answers && exit 0   # another caller started it while we waited for the lock

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq docker.io >/dev/null
fi

# A previous run may have left a pid file, a socket or containerd's state behind (CI kills
# every process between runs): clear what no live process owns.
if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
if [ ! -f "$pidfile" ]; then
  rm -f /var/run/docker.pid /var/run/docker.sock /var/run/docker/containerd/containerd.pid
  echo "ensure-docker: starting dockerd (log: $log)"
  # setsid: dockerd must outlive the make/pytest process that started it.
  setsid dockerd --host=unix:///var/run/docker.sock >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
fi

for _ in $(seq "$wait_s"); do
  answers && { echo "ensure-docker: dockerd answers"; exit 0; }
  kill -0 "$(cat "$pidfile")" 2>/dev/null || break
  sleep 1
done
echo "ensure-docker: dockerd did not come up; last lines of $log:" >&2
tail -n 30 "$log" >&2
exit 1
