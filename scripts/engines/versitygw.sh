#!/usr/bin/env bash
# A real S3-compatible object store for the model loader's tests and the local cluster: Versity's
# S3 gateway (versitygw, Apache-2.0) serving the S3 API from a directory, built from its Go module.
#
# Why: s3:// model sources (MinIO and other S3-compatible stores) are tested against a real S3
# server, not a mock. MinIO is AGPL and not served here; versitygw is, and speaks the S3 API the
# AWS SDKs use (buckets, ListObjectsV2, GetObject with If-Match, SigV4 with path-style URLs).
#
# Commands (each builds what is missing first; progress goes to stderr):
#   build    compile versitygw once; prints the binary path
#   start    starts the gateway in the background unless it runs; prints KEY='value' lines:
#              S3_ENDPOINT            http://ADDR:PORT (the first listen address)
#              S3_ENDPOINTS           every listen address, space-separated
#              S3_ACCESS_KEY, S3_SECRET_KEY   the root credentials
#              S3_DATA_DIR            the directory served: <bucket>/<key>
#              S3_LOG                 its request log (one line per request: status, method, path, query)
#   stop     stops it (its data stays in the state directory)
#   status   prints the same lines when it runs; exit 1 when it does not
#
# Environment:
#   MH_S3_DIR         state directory (data/, log, pid, credentials); default $TMPDIR/model-hosting-s3
#   MH_S3_LISTEN      comma list of addresses to listen on; default 127.0.0.1 (add the host end of a
#                     pod network's veth pair so that pods reach it: cluster.sh's HOST_ADDR)
#   MH_S3_PORT        port; default: a free one
#   MH_S3_ACCESS_KEY, MH_S3_SECRET_KEY   root credentials; default: made once per state directory
#   MH_S3_REGION      region it answers for; default us-east-1
#
# Cache: $MODEL_HOSTING_CACHE (default ~/.cache/model-hosting)/versitygw-<version>/bin/versitygw,
# 44 MB, about 3 minutes cold on 2 cores (Go module downloads included); instant afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/versions.sh"

VERSITYGW_VERSION=${VERSITYGW_VERSION:-v1.8.0}   # github.com/versity/versitygw
VGW_BIN=$MH_CACHE/versitygw-$VERSITYGW_VERSION/bin/versitygw
S3_DIR=${MH_S3_DIR:-${TMPDIR:-/tmp}/model-hosting-s3}

die() { echo "versitygw.sh: $*" >&2; exit 1; }
log() { echo "[versitygw] $*" >&2; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

cmd_build() {
  if [ -x "$VGW_BIN" ]; then echo "$VGW_BIN"; return 0; fi
  need_cmd go "Install Go 1.24 or newer (https://go.dev/doc/install, or your OS package) and run again; it builds versitygw."
  mkdir -p "$(dirname "$VGW_BIN")"
  exec 9>"$MH_CACHE/versitygw-build.lock"
  flock 9 # two builds at once would fight over the same cache
  if [ -x "$VGW_BIN" ]; then echo "$VGW_BIN"; return 0; fi
  log "compiling versitygw $VERSITYGW_VERSION into $(dirname "$VGW_BIN") (first time only: about 3 minutes on 2 cores)"
  local start=$SECONDS
  GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" GOBIN="$(dirname "$VGW_BIN")" \
    go install -ldflags "-s -w" "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2 \
    || die "building versitygw $VERSITYGW_VERSION failed (see above)."
  [ -x "$VGW_BIN" ] || die "go install finished but $VGW_BIN is missing."
  log "built versitygw in $((SECONDS - start)) s"
  echo "$VGW_BIN"
}

alive() { [ -f "$S3_DIR/pid" ] && kill -0 "$(cat "$S3_DIR/pid")" 2>/dev/null; }

cmd_status() {
  alive || { echo "versitygw not running (state: $S3_DIR)" >&2; return 1; }
  local a all=""
  for a in $(cat "$S3_DIR/address"); do all="$all http://$a"; done
  echo "S3_ENDPOINT='http://$(head -1 "$S3_DIR/address")'"
  echo "S3_ENDPOINTS='${all# }'"
  echo "S3_ACCESS_KEY='$(sed -n 1p "$S3_DIR/credentials")'"
  echo "S3_SECRET_KEY='$(sed -n 2p "$S3_DIR/credentials")'"
  echo "S3_DATA_DIR='$S3_DIR/data'"
  echo "S3_LOG='$S3_DIR/log'"
}

cmd_stop() {
  if alive; then
    local pid; pid=$(cat "$S3_DIR/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped (its data stays in $S3_DIR/data)"
  fi
  rm -f "$S3_DIR/pid"
}

cmd_start() {
  if cmd_status 2>/dev/null; then return 0; fi
  need_cmd node "Install Node.js 20 or newer."
  local bin listen=${MH_S3_LISTEN:-127.0.0.1} port=${MH_S3_PORT:-} a args=() i
  bin=$(cmd_build)
  mkdir -p "$S3_DIR/data"
  chmod 700 "$S3_DIR"
  if [ -n "${MH_S3_ACCESS_KEY:-}" ] && [ -n "${MH_S3_SECRET_KEY:-}" ]; then
    printf '%s\n%s\n' "$MH_S3_ACCESS_KEY" "$MH_S3_SECRET_KEY" >"$S3_DIR/credentials"
  elif [ ! -s "$S3_DIR/credentials" ]; then
    printf 'mh-%s\n%s\n' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" \
      "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$S3_DIR/credentials"
  fi
  chmod 600 "$S3_DIR/credentials"
  [ -n "$port" ] || port=$(free_port)
  : >"$S3_DIR/address"
  for a in ${listen//,/ }; do
    args+=(--port "$a:$port")
    echo "$a:$port" >>"$S3_DIR/address"
  done
  # The credentials go through the environment, not the command line (ps would show them).
  ROOT_ACCESS_KEY=$(sed -n 1p "$S3_DIR/credentials") ROOT_SECRET_KEY=$(sed -n 2p "$S3_DIR/credentials") \
    VGW_REGION=${MH_S3_REGION:-us-east-1} \
    setsid "$bin" "${args[@]}" posix "$S3_DIR/data" >>"$S3_DIR/log" 2>&1 </dev/null &
  echo $! >"$S3_DIR/pid"
  for i in $(seq 100); do
    # Any HTTP answer (403 without a signature) means it serves.
    if (exec 3<>"/dev/tcp/${listen%%,*}/$port") 2>/dev/null; then
      cmd_status
      return 0
    fi
    alive || break
    sleep 0.1
  done
  tail -n 20 "$S3_DIR/log" >&2
  cmd_stop
  die "versitygw did not start (log above: $S3_DIR/log)"
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) die "usage: versitygw.sh build|start|stop|status" ;;
esac
