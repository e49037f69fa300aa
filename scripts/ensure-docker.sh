#!/usr/bin/env bash
# Makes sure a Docker engine answers: does nothing when one does, otherwise installs Debian's
# docker.io if missing and starts dockerd in the background (log and pid file under $STATE).
# Idempotent and safe to call from parallel tests (a lock serialises the start).
#
# It never touches a daemon it did not start: a socket something listens on (a systemd dockerd
# that is slow to answer, socket activation, any other daemon) or a dockerd process serving this
# socket is waited for, and when it still does not answer the script fails saying so; it deletes
# nothing and starts nothing then. Leftovers (stale pid files, socket) are cleared only when the
# pid file under $STATE names a dockerd this script started and that process is gone.
#
# Environment (the defaults are the system engine's; tests point them at temporary paths):
#   STELLARS_DOCKER_STATE      this script's log, pid file and lock (/var/lib/stellars/docker)
#   STELLARS_DOCKER_SOCKET     the engine's socket (/var/run/docker.sock)
#   STELLARS_DOCKER_EXEC_ROOT  dockerd's exec root, passed with --exec-root when set
#                              (/var/run/docker)
#   STELLARS_DOCKERD_PIDFILE   dockerd's own pid file, passed with --pidfile when set
#                              (/var/run/docker.pid)
#   STELLARS_DOCKERD_ARGS      more dockerd flags (--data-root DIR --bridge NAME ...)
#   STELLARS_DOCKER_WAIT       seconds to wait for an engine to answer (60)
#   STELLARS_DOCKER_PING_TIMEOUT  seconds one `docker info` may take (10)
set -euo pipefail
state=${STELLARS_DOCKER_STATE:-/var/lib/stellars/docker}
log="$state/dockerd.log"
pidfile="$state/dockerd.pid"
socket=${STELLARS_DOCKER_SOCKET:-/var/run/docker.sock}
exec_root=${STELLARS_DOCKER_EXEC_ROOT:-/var/run/docker}
daemon_pidfile=${STELLARS_DOCKERD_PIDFILE:-/var/run/docker.pid}
wait_s=${STELLARS_DOCKER_WAIT:-60}
ping_s=${STELLARS_DOCKER_PING_TIMEOUT:-10}
say() { echo "ensure-docker: $*"; }

host=()
[ -n "${STELLARS_DOCKER_SOCKET:-}" ] && host=(-H "unix://$socket")
answers() { timeout "$ping_s" docker "${host[@]}" info >/dev/null 2>&1; }

# Something accepts connections on the socket (whether or not it answers yet). curl exits 7
# when it cannot connect at all; any other result means a listener is there.
listened() {
  [ -S "$socket" ] || return 1
  local rc=0
  curl -s -o /dev/null --max-time 2 --unix-socket "$socket" http://docker/_ping || rc=$?
  [ "$rc" != 7 ]
}

same_path() { [ "$(readlink -f "$1" 2>/dev/null || echo "$1")" = "$(readlink -f "$2" 2>/dev/null || echo "$2")" ]; }

# Live dockerd processes other than ours that serve this socket: those given it with -H/--host,
# and those without a unix host of their own (the default socket, or systemd's fd://) when this
# is the default socket.
foreign_dockerds() {
  local pid ours="" args arg next hosts default=0
  [ -f "$pidfile" ] && ours=$(cat "$pidfile")
  same_path "$socket" /var/run/docker.sock && default=1
  for pid in $(pgrep -x dockerd || true); do
    [ "$pid" = "$ours" ] && continue
    mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || continue
    hosts=() next=0
    for arg in "${args[@]:1}"; do
      if [ "$next" = 1 ]; then hosts+=("$arg"); next=0; continue; fi
      case $arg in
        -H|--host) next=1 ;;
        --host=*) hosts+=("${arg#--host=}") ;;
        -H*) hosts+=("${arg#-H}") ;;
      esac
    done
    local serves=0 h
    if [ ${#hosts[@]} -eq 0 ]; then serves=$default; fi
    for h in "${hosts[@]}"; do
      case $h in
        unix://*) same_path "${h#unix://}" "$socket" && serves=1 ;;
        fd://*) serves=$default ;;
      esac
    done
    if [ "$serves" = 1 ]; then echo "$pid"; fi
  done
  return 0
}

# A daemon we did not start: wait for it, never clear its files or start a second one.
wait_for_foreign() {
  local who=$1
  say "a Docker daemon this script did not start owns $socket ($who); waiting up to ${wait_s}s for it to answer"
  local deadline=$((SECONDS + wait_s))
  while [ $SECONDS -lt $deadline ]; do
    answers && { say "it answers"; exit 0; }
    sleep 1
  done
  say "that daemon ($who) does not answer on $socket; not touching it (no file removed, no dockerd started): fix or restart it, or point STELLARS_DOCKER_SOCKET elsewhere" >&2
  exit 1
}

answers && exit 0
mkdir -p "$state"
exec 9>"$state/start.lock"
flock 9
answers && exit 0   # another caller started it while we waited for the lock

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq docker.io >/dev/null
fi

ours_alive=0
if [ -f "$pidfile" ]; then
  if kill -0 "$(cat "$pidfile")" 2>/dev/null && [ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" = dockerd ]; then
    ours_alive=1
  else
    # Ours, and gone (CI kills every process between runs): clear what it left, unless another
    # daemon has taken the socket since.
    others=$(foreign_dockerds | tr '\n' ' ')
    if [ -n "$others" ]; then wait_for_foreign "dockerd pid $others"; fi
    if listened; then wait_for_foreign "a process listening on it"; fi
    say "clearing what the dockerd this script started (pid $(cat "$pidfile"), gone) left behind"
    rm -f "$pidfile" "$daemon_pidfile" "$socket" "$exec_root/containerd/containerd.pid"
  fi
fi

if [ "$ours_alive" = 0 ]; then
  others=$(foreign_dockerds | tr '\n' ' ')
  if [ -n "$others" ]; then wait_for_foreign "dockerd pid $others"; fi
  if listened; then wait_for_foreign "a process listening on it"; fi
  # A socket file nobody listens on: dockerd replaces it itself when it starts.
  flags=(--host="unix://$socket")
  [ -n "${STELLARS_DOCKERD_PIDFILE:-}" ] && flags+=(--pidfile "$daemon_pidfile")
  [ -n "${STELLARS_DOCKER_EXEC_ROOT:-}" ] && flags+=(--exec-root "$exec_root")
  read -r -a more <<<"${STELLARS_DOCKERD_ARGS:-}"
  flags+=("${more[@]}")
  say "starting dockerd (log: $log)"
  # setsid: dockerd must outlive the make/pytest process that started it.
  setsid dockerd "${flags[@]}" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
fi

for _ in $(seq "$wait_s"); do
  answers && { say "dockerd answers"; exit 0; }
  kill -0 "$(cat "$pidfile")" 2>/dev/null || break
  sleep 1
done
say "dockerd did not come up; last lines of $log:" >&2
tail -n 30 "$log" >&2
exit 1
