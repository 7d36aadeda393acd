#!/bin/sh
# Start a Docker engine on a machine without systemd (our CI machines and containers), only when none answers.
# Installs docker.io, docker-compose and mmdebstrap with apt when missing (as root, or with sudo).
#
#   start-docker.sh [LOG]    (default LOG: /tmp/dockerd.log)
#
# Prints the dockerd pid it started ("started dockerd, pid N"), and writes it to $DOCKERD_PID_FILE
# (default /tmp/dockerd.pid), so whoever started it can stop exactly that one: kill "$(cat /tmp/dockerd.pid)".
set -eu

log="${1:-/tmp/dockerd.log}"
pid_file="${DOCKERD_PID_FILE:-/tmp/dockerd.pid}"
wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

fail() { echo "start-docker: $*" >&2; exit 1; }

missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v mmdebstrap >/dev/null 2>&1 || missing="$missing mmdebstrap"
if [ -n "$missing" ]; then
    echo "start-docker: installing Debian packages:$missing"
    # shellcheck disable=SC2086  # one package per word
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing; } \
        || fail "apt-get install$missing failed"
fi

if docker info >/dev/null 2>&1; then
    echo "start-docker: a Docker engine is already running; nothing started"
    exit 0
fi

$sudo sh -c 'dockerd > "$1" 2>&1 & echo $! > "$2"' sh "$log" "$pid_file"
pid="$(cat "$pid_file")"
waited=0
until docker info >/dev/null 2>&1; do
    if [ ! -d "/proc/$pid" ]; then
        fail "dockerd (pid $pid) exited at start; see $log: $(tail -n 1 "$log")"
    fi
    if [ "$waited" -ge "$wait_seconds" ]; then
        fail "dockerd (pid $pid) did not answer docker info within ${wait_seconds}s; see $log"
    fi
    sleep 1
    waited=$((waited + 1))
done
echo "started dockerd, pid $pid (log $log; stop it with: kill $pid)"
