#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: Debian's `postgresql` package, a cluster in a fresh
# directory, listening on 127.0.0.1 only, on a free port.
#
#   postgres.sh start DIR     initialise DIR (must not exist or be empty; as root, its parent must be
#                             open to the postgres user, as /tmp is), start the server, print
#                             `export MH_TEST_PG_URL=postgresql://...` for eval
#   postgres.sh stop DIR      stop it and delete DIR
#   postgres.sh run -- CMD    with MH_TEST_PG_URL set, just run CMD; otherwise start a server in a
#                             temporary directory, run CMD with MH_TEST_PG_URL, stop it at exit
#
# As root the server runs as the `postgres` user the package creates (PostgreSQL refuses root), and
# a missing package is installed with apt-get; otherwise a missing package is an error naming it.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

# Returns 0 explicitly: called from the EXIT trap, a bare `return` would return the status that
# ended the script, and set -e would end the trap before the server is stopped.
bindir() {
  local d
  # The newest installed major version.
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: installing Debian's postgresql for the tests" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y postgresql >/dev/null 2>&1 ||
      { apt-get update >/dev/null && apt-get install -y postgresql >/dev/null; } ||
      die "could not install postgresql with apt-get"
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$d" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
  fi
  die "the PostgreSQL server is missing (no /usr/lib/postgresql/*/bin/postgres). Install it (Debian/Ubuntu: sudo apt-get install postgresql)."
}

# Runs a command as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' user to run the server as (Debian's postgresql package creates it)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

start() {
  local dir=$1 bin port password
  bin=$(bindir)
  mkdir -p "$dir"
  [ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  as_owner test -w "$dir" || die "the server's user cannot write to $dir (is a parent directory closed to it?); use a directory under ${TMPDIR:-/tmp}"
  password=$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')
  printf '%s\n' "$password" > "$dir/pw"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir/pw"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 --pwfile="$dir/pw" \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  rm -f "$dir/pw"
  port=$(free_port)
  # Loopback only; the socket in the cluster's own directory; durability off (a throwaway cluster).
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    >/dev/null || { tail -n 20 "$dir/server.log" >&2; die "the server did not start (log: $dir/server.log)"; }
  echo "export MH_TEST_PG_URL=postgresql://postgres:$password@127.0.0.1:$port"
}

stop() {
  local dir=$1 bin
  [ -d "$dir/data" ] || return 0
  bin=$(bindir)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

cmd=${1:-}; shift || true
case "$cmd" in
  start) [ $# = 1 ] || die "usage: postgres.sh start DIR"; start "$1" ;;
  stop) [ $# = 1 ] || die "usage: postgres.sh stop DIR"; stop "$1" ;;
  run)
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "usage: postgres.sh run -- CMD..."
    if [ -n "${MH_TEST_PG_URL:-}" ]; then exec "$@"; fi
    dir=$(mktemp -d /tmp/mh-pg-XXXXXX)
    trap 'stop "$dir"' EXIT
    eval "$(start "$dir")"
    # In the background with our stdin, so that a signal to this script reaches the command at once
    # and the server is stopped too (bash runs EXIT traps on exit, not on death by a signal).
    "$@" <&0 &
    pid=$!
    trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 143' TERM
    trap 'kill -INT "$pid" 2>/dev/null; wait "$pid"; exit 130' INT
    wait "$pid"
    ;;
  *) die "usage: postgres.sh start DIR | stop DIR | run -- CMD..." ;;
esac
