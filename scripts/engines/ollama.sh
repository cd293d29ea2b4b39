#!/usr/bin/env bash
# A real Ollama engine for the local cluster and the tests, built from registries only.
#
# What: Ollama (versions.sh: OLLAMA_VERSION) compiled from its Go module with cgo (its bundled
# llama.cpp/ggml, CPU only), tiny models with random weights made at test time, and optionally a
# local OCI registry (distribution's, from its Go module) that Ollama can really pull from.
# Why: no model can be downloaded here and Ollama's public registry is off limits, yet the
# product's Ollama paths (/api/tags, /api/generate, /api/chat, /v1/chat/completions with usage,
# streaming with the usage chunk, /v1/embeddings, /api/ps, /api/pull) should be tested against
# the real server rather than a stand-in. Tests must never pull a bare model name (that would go
# to the public registry): pull only HOST:PORT/library/NAME:TAG from the registry below.
#
# Commands (each builds or creates what is missing first, then prints its result on stdout;
# progress goes to stderr):
#   build                 compile Ollama once; prints the binary path
#   models                create the tiny models once; prints an OLLAMA_MODELS directory holding
#                         tiny-llama:latest, tiny-llama-b:latest (chat/generate; distinct weights
#                         and digests) and tiny-embed:latest (embeddings: 64 values). Random
#                         weights that only ever write printable ASCII and never stop on their own:
#                         an answer has exactly num_predict tokens (16 unless the request says
#                         max_tokens / options.num_predict), finish_reason "length".
#   env                   prints KEY='value' lines: OLLAMA_BIN, OLLAMA_MODELS_DIR,
#                         OLLAMA_TINY_MODELS, OLLAMA_TINY_CHAT_MODELS, OLLAMA_TINY_EMBED_MODEL,
#                         OLLAMA_SERVE_ENV (the environment `serve` uses: no cloud, no pruning,
#                         models kept loaded, its own HOME)
#   serve ADDR:PORT [DIR] runs `ollama serve` in the foreground on ADDR:PORT with the models in DIR
#                         (default: the cached models directory, shared) and OLLAMA_SERVE_ENV
#   check [--shared] [--replicas N] [--pull ADDR]
#                         starts servers on loopback ports and exercises every endpoint the product
#                         uses; prints one line per check and the timings (ollama-check.mjs)
#   registry build|start|stop|status
#                         a local OCI registry (distribution's) holding the tiny models, pushed
#                         with `ollama push`, behind a small front (registry-front.mjs) that makes
#                         Ollama's pull work. State (storage, logs, pids) in $MH_REGISTRY_DIR
#                         (default: $TMPDIR/model-hosting-registry). The front listens on
#                         $MH_REGISTRY_LISTEN (comma list, default 127.0.0.1; add the host end of
#                         a pod network's veth pair for pods) port $MH_REGISTRY_PORT (default: a
#                         free one). start/status print OLLAMA_REGISTRY='ADDR:PORT',
#                         OLLAMA_REGISTRY_ADDRESSES and OLLAMA_REGISTRY_MODELS (pull names:
#                         ADDR:PORT/library/tiny-llama:latest ...; pull with insecure: true).
#
# Cache layout ($MODEL_HOSTING_CACHE, default ~/.cache/model-hosting, shared with the control
# plane binaries of scripts/cluster/build.sh):
#   ollama-<version>/bin/ollama              the engine, 34 MB (cold: 6-8 minutes on 2 busy cores,
#                                            about 6 CPU-minutes, plus ~0.9 GB of Go caches)
#   ollama-<version>/include/miniaudio/      miniaudio.h from PyPI's miniaudio sdist
#   py-gguf-<version>/                       python venv with PyPI's gguf (~110 MB, ~10 s)
#   ollama-models-<key>/                     OLLAMA_MODELS with the tiny models, 1.5 MB, ~1 s;
#                                            <key> hashes everything they are made from
#   ollama-home/                             HOME for the Ollama processes (its key pair)
#   registry-<version>/bin/registry          distribution's registry (~2 minutes cold)
# A second run builds nothing (milliseconds). Prerequisites: Go >= 1.24, gcc and g++, python3 with
# venv and pip, node, curl; the C++ headers nlohmann/json.hpp and stb/stb_image.h (Debian:
# nlohmann-json3-dev, libstb-dev; installed with apt-get when running as root).
#
# Measured (2 cores): `ollama serve` answers /api/version in ~0.1 s and a first chat ~1 s after
# start (the first request loads the model: ~0.3-0.5 s); warm answers take 20-60 ms. RSS: ~37 MiB
# idle, ~80 MiB with one tiny model loaded (the runner is a child process), ~165 MiB with three.
# Several servers can share one models directory, even read-only (OLLAMA_NOPRUNE=1 is what makes
# start-up write nothing); a server that pulls, creates, copies or deletes needs its own copy
# (1.5 MB: ~10-25 ms with cp -a, instant with cp -al hard links). A pull from the registry below
# takes ~4 s for a tiny model (Ollama waits ~1 s per blob).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/versions.sh"

die() { echo "ollama.sh: $*" >&2; exit 1; }
log() { echo "[ollama] $*" >&2; }

# The tiny models: name, seed, pooling (mean = an embedding model). Part of the cache key.
TINY_MODELS="tiny-llama:latest 1 none
tiny-llama-b:latest 2 none
tiny-embed:latest 3 mean"
# The chat template and defaults of the chat models. num_predict bounds answers (the tiny models
# never stop by themselves); requests may override it (max_tokens, options.num_predict).
TINY_CHAT_MODELFILE_TAIL='TEMPLATE """{{- range .Messages }}{{ .Role }}: {{ .Content }}
{{ end }}assistant: """
PARAMETER num_ctx 512
PARAMETER num_predict 16'

# Environment of every Ollama process started here: nothing leaves the machine, nothing is
# pruned from a shared models directory, a loaded model stays loaded.
serve_env() {
  printf '%s\n' "HOME=$MH_OLLAMA_HOME" OLLAMA_NO_CLOUD=1 OLLAMA_NOPRUNE=1 OLLAMA_KEEP_ALIVE=-1 \
    OLLAMA_NUM_PARALLEL=1 OLLAMA_MAX_LOADED_MODELS=3 OLLAMA_CONTEXT_LENGTH=512
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_http() { # url seconds pid
  local i
  need_cmd curl "Install curl; it is used to wait for the servers started here."
  for ((i = 0; i < $2 * 10; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    [ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"; }

check_go() {
  need_cmd go "Install Go 1.24 or newer (https://go.dev/doc/install, or your OS package) and run again; it builds Ollama."
  local v; v=$(go env GOVERSION | sed 's/^go//')
  case "$v" in 1.2[4-9]*|1.[3-9]*) ;; *) die "Go $v is too old; Go 1.24 or newer is needed." ;; esac
}

# The C++ headers Ollama's module zip does not carry (llama.cpp vendors them in its repository).
have_header() { echo "#include <$1>" | g++ -E -x c++ - ${CGO_CPPFLAGS:-} >/dev/null 2>&1; }
ensure_headers() {
  have_header nlohmann/json.hpp && have_header stb/stb_image.h && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing nlohmann-json3-dev and libstb-dev (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nlohmann-json3-dev libstb-dev >&2 \
      || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nlohmann-json3-dev libstb-dev >&2; } \
      || die "apt-get could not install nlohmann-json3-dev and libstb-dev (see above)."
  fi
  have_header nlohmann/json.hpp && have_header stb/stb_image.h \
    || die "the C++ headers nlohmann/json.hpp and stb/stb_image.h are missing. Install them (Debian/Ubuntu: sudo apt-get install nlohmann-json3-dev libstb-dev; elsewhere: nlohmann-json and stb), or put their folders on CGO_CPPFLAGS=-I..., and run again."
}

ensure_miniaudio() {
  local inc=$MH_OLLAMA_DIR/include tmp
  [ -f "$inc/miniaudio/miniaudio.h" ] && return 0
  need_cmd python3 "Install Python 3 with pip; it fetches miniaudio.h from PyPI."
  log "fetching miniaudio.h from PyPI's miniaudio $MINIAUDIO_PY_VERSION source distribution"
  tmp=$(mktemp -d)
  python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "miniaudio==$MINIAUDIO_PY_VERSION" -d "$tmp" >&2 \
    || { rm -rf "$tmp"; die "pip could not download miniaudio==$MINIAUDIO_PY_VERSION (source distribution) from PyPI."; }
  mkdir -p "$inc/miniaudio"
  tar -xzf "$tmp/miniaudio-$MINIAUDIO_PY_VERSION.tar.gz" -C "$tmp" "miniaudio-$MINIAUDIO_PY_VERSION/miniaudio/miniaudio.h" \
    || { rm -rf "$tmp"; die "miniaudio-$MINIAUDIO_PY_VERSION.tar.gz holds no miniaudio/miniaudio.h."; }
  mv "$tmp/miniaudio-$MINIAUDIO_PY_VERSION/miniaudio/miniaudio.h" "$inc/miniaudio/miniaudio.h"
  rm -rf "$tmp"
}

cmd_build() {
  if [ -x "$MH_OLLAMA_BIN" ]; then echo "$MH_OLLAMA_BIN"; return 0; fi
  check_go
  need_cmd gcc "Install a C and C++ compiler (Debian: apt-get install build-essential); Ollama's engine is C++ built through cgo."
  need_cmd g++ "Install a C++ compiler (Debian: apt-get install g++); Ollama's engine is C++ built through cgo."
  mkdir -p "$MH_OLLAMA_DIR/bin"
  exec 8>"$MH_CACHE/ollama-build.lock"
  flock 8 # two builds at once would fight over the same cache
  if [ -x "$MH_OLLAMA_BIN" ]; then echo "$MH_OLLAMA_BIN"; return 0; fi
  ensure_headers
  ensure_miniaudio
  log "compiling Ollama $OLLAMA_VERSION into $MH_OLLAMA_DIR/bin (first time only: 6-8 minutes on 2 cores)"
  local start=$SECONDS
  # -g (Go's default CGO_CFLAGS) would only make the C++ compile slower and the binary bigger.
  GOTOOLCHAIN=local CGO_ENABLED=1 GOFLAGS="-trimpath -buildvcs=false" GOBIN="$MH_OLLAMA_DIR/bin" \
    CGO_CFLAGS="-O2" CGO_CXXFLAGS="-O2" CGO_CPPFLAGS="-I$MH_OLLAMA_DIR/include ${CGO_CPPFLAGS:-}" \
    go install -ldflags "-s -w -X github.com/ollama/ollama/version.Version=${OLLAMA_VERSION#v}" \
    "github.com/ollama/ollama@$OLLAMA_VERSION" >&2 \
    || die "building Ollama $OLLAMA_VERSION failed (see above)."
  [ -x "$MH_OLLAMA_BIN" ] || die "go install finished but $MH_OLLAMA_BIN is missing."
  log "built Ollama $OLLAMA_VERSION in $((SECONDS - start)) s ($(du -h "$MH_OLLAMA_BIN" | cut -f1))"
  echo "$MH_OLLAMA_BIN"
}

ensure_venv() {
  [ -f "$MH_GGUF_VENV/.complete" ] && return 0
  need_cmd python3 "Install Python 3 (with venv and pip); it writes the tiny test models."
  log "creating a python venv with gguf $GGUF_PY_VERSION in $MH_GGUF_VENV"
  rm -rf "$MH_GGUF_VENV"
  python3 -m venv "$MH_GGUF_VENV" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)."
  "$MH_GGUF_VENV/bin/python" -m pip install -q --disable-pip-version-check "gguf==$GGUF_PY_VERSION" >&2 \
    || die "pip could not install gguf==$GGUF_PY_VERSION from PyPI."
  touch "$MH_GGUF_VENV/.complete"
}

models_key() {
  { echo "$OLLAMA_VERSION $GGUF_PY_VERSION"; echo "$TINY_MODELS"; echo "$TINY_CHAT_MODELFILE_TAIL"; cat "$here/tiny_gguf.py"; } \
    | sha256sum | cut -c1-12
}
models_dir() { echo "$MH_CACHE/ollama-models-$(models_key)"; }

# Runs a throwaway `ollama serve` on a free loopback port with OLLAMA_MODELS=$1; sets SERVE_PID
# and OLLAMA_HOST (exported, for the ollama client). Its log is $2.
start_temp_server() {
  local port; port=$(free_port)
  export OLLAMA_HOST=127.0.0.1:$port
  mkdir -p "$MH_OLLAMA_HOME"
  env $(serve_env) OLLAMA_MODELS="$1" "$MH_OLLAMA_BIN" serve >"$2" 2>&1 &
  SERVE_PID=$!
  wait_http "http://$OLLAMA_HOST/api/version" 30 "$SERVE_PID" \
    || { cat "$2" >&2; die "ollama serve did not answer on $OLLAMA_HOST (log above)."; }
}
stop_temp_server() {
  [ -n "${SERVE_PID:-}" ] || return 0
  kill "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
}

cmd_models() {
  local dir; dir=$(models_dir)
  if [ -f "$dir/.complete" ]; then echo "$dir"; return 0; fi
  cmd_build >/dev/null
  ensure_venv
  mkdir -p "$MH_CACHE"
  exec 7>"$MH_CACHE/ollama-models.lock"
  flock 7
  if [ -f "$dir/.complete" ]; then echo "$dir"; return 0; fi
  local start=$SECONDS work name seed pooling
  # Created in place (the manifests record the path a blob was created from; in place keeps them
  # the same on every machine with the same cache path); .complete marks a finished directory.
  rm -rf "$dir"
  work=$(mktemp -d "$MH_CACHE/ollama-models-src.XXXXXX")
  trap 'stop_temp_server; rm -rf "$work"' EXIT
  mkdir -p "$dir"
  log "creating the tiny models in $dir"
  start_temp_server "$dir" "$work/serve.log"
  while read -r name seed pooling; do
    local base=${name%%:*}
    "$MH_GGUF_VENV/bin/python" "$here/tiny_gguf.py" "$work/$base.gguf" --seed "$seed" --name "$base" --pooling "$pooling" \
      || die "writing $base.gguf failed."
    { echo "FROM ./$base.gguf"; [ "$pooling" = mean ] || echo "$TINY_CHAT_MODELFILE_TAIL"; } >"$work/$base.Modelfile"
    (cd "$work" && "$MH_OLLAMA_BIN" create "$name" -f "$base.Modelfile" >/dev/null 2>"$work/create.log") \
      || { cat "$work/create.log" "$work/serve.log" >&2; die "ollama create $name failed (log above)."; }
  done <<<"$TINY_MODELS"
  stop_temp_server
  rm -rf "$work"
  trap - EXIT
  touch "$dir/.complete"
  log "created $(echo "$TINY_MODELS" | cut -d' ' -f1 | tr '\n' ' ')in $((SECONDS - start)) s ($(du -sh "$dir" | cut -f1))"
  echo "$dir"
}

tiny_names() { echo "$TINY_MODELS" | awk -v want="$1" '$3 == want || want == "" {print $1}' | tr '\n' ' ' | sed 's/ $//'; }

# KEY='value' lines: `eval` them in a shell, or read them as KEY=VALUE (strip the quotes).
cmd_env() {
  local bin dir
  bin=$(cmd_build)
  dir=$(cmd_models)
  kv() { case "$2" in *"'"*) die "unexpected quote in $1" ;; esac; printf "%s='%s'\n" "$1" "$2"; }
  kv OLLAMA_BIN "$bin"
  kv OLLAMA_MODELS_DIR "$dir"
  kv OLLAMA_TINY_MODELS "$(tiny_names "")"
  kv OLLAMA_TINY_CHAT_MODELS "$(tiny_names none)"
  kv OLLAMA_TINY_EMBED_MODEL "$(tiny_names mean)"
  kv OLLAMA_SERVE_ENV "$(serve_env | tr '\n' ' ' | sed 's/ $//')"
}

cmd_serve() {
  [ $# -ge 1 ] || die "usage: ollama.sh serve ADDR:PORT [MODELS_DIR]"
  local bin dir
  bin=$(cmd_build)
  dir=${2:-$(cmd_models)}
  mkdir -p "$MH_OLLAMA_HOME"
  exec env $(serve_env) OLLAMA_HOST="$1" OLLAMA_MODELS="$dir" "$bin" serve
}

cmd_check() {
  need_cmd node "Install Node.js 20 or newer."
  eval "$(cmd_env)"
  OLLAMA_BIN=$OLLAMA_BIN OLLAMA_MODELS_DIR=$OLLAMA_MODELS_DIR OLLAMA_TINY_CHAT_MODELS=$OLLAMA_TINY_CHAT_MODELS \
    OLLAMA_TINY_EMBED_MODEL=$OLLAMA_TINY_EMBED_MODEL OLLAMA_SERVE_ENV=$OLLAMA_SERVE_ENV \
    node "$here/ollama-check.mjs" "$@"
}

# ---- local OCI registry -------------------------------------------------------------------
REG_DIR=${MH_REGISTRY_DIR:-${TMPDIR:-/tmp}/model-hosting-registry}

registry_build() {
  if [ -x "$MH_REGISTRY_BIN" ]; then echo "$MH_REGISTRY_BIN"; return 0; fi
  check_go
  mkdir -p "$(dirname "$MH_REGISTRY_BIN")"
  exec 6>"$MH_CACHE/registry-build.lock"
  flock 6
  if [ -x "$MH_REGISTRY_BIN" ]; then echo "$MH_REGISTRY_BIN"; return 0; fi
  log "compiling distribution's registry $REGISTRY_VERSION (first time only: about a minute)"
  GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" GOBIN="$(dirname "$MH_REGISTRY_BIN")" \
    go install -ldflags "-s -w" "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION" >&2 \
    || die "building distribution's registry $REGISTRY_VERSION failed (see above)."
  echo "$MH_REGISTRY_BIN"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

registry_status() {
  if alive "$REG_DIR/registry.pid" && alive "$REG_DIR/front.pid"; then
    local a all="" first
    first=$(head -1 "$REG_DIR/address")
    for a in $(cat "$REG_DIR/address"); do all="$all $a"; done
    echo "OLLAMA_REGISTRY='$first'"
    echo "OLLAMA_REGISTRY_ADDRESSES='${all# }'"
    echo "OLLAMA_REGISTRY_MODELS='$(cat "$REG_DIR/models")'"
    return 0
  fi
  echo "registry not running (state: $REG_DIR)" >&2
  return 1
}

registry_stop() {
  local f
  for f in front registry; do
    if alive "$REG_DIR/$f.pid"; then
      kill "$(cat "$REG_DIR/$f.pid")" 2>/dev/null || true
      for _ in $(seq 50); do alive "$REG_DIR/$f.pid" || break; sleep 0.1; done
    fi
    rm -f "$REG_DIR/$f.pid"
  done
  log "registry stopped (its storage stays in $REG_DIR/storage)"
}

# Starts the registry on an internal loopback port and the front on MH_REGISTRY_PORT (default:
# a free port) at MH_REGISTRY_LISTEN (default 127.0.0.1; a comma list adds addresses, e.g. one
# inside a network namespace), then pushes the tiny models as library/NAME:TAG unless present.
# Blob downloads are redirected to the IPv4-mapped spelling of the address the client reached,
# or to MH_REGISTRY_BLOB_HOST when set (see registry-front.mjs). For pods in a network namespace,
# listen on an address they reach too (the host end of their veth pair) and pull with that address.
registry_start() {
  if registry_status 2>/dev/null; then return 0; fi
  need_cmd node "Install Node.js 20 or newer."
  local bin listen=${MH_REGISTRY_LISTEN:-127.0.0.1} port=${MH_REGISTRY_PORT:-} rport addr
  bin=$(registry_build)
  registry_stop 2>/dev/null
  # Storage made from other tiny models (another models key) is stale: start it afresh.
  [ "$(cat "$REG_DIR/storage-key" 2>/dev/null)" = "$(models_key)" ] || rm -rf "$REG_DIR/storage"
  mkdir -p "$REG_DIR/storage"
  models_key >"$REG_DIR/storage-key"
  rport=$(free_port)
  [ -n "$port" ] || port=$(free_port)
  addr=${listen%%,*}:$port
  cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/storage
  delete:
    enabled: true
  redirect:
    disable: true
http:
  addr: 127.0.0.1:$rport
EOF
  OTEL_TRACES_EXPORTER=none "$bin" serve "$REG_DIR/config.yml" >"$REG_DIR/registry.log" 2>&1 &
  echo $! >"$REG_DIR/registry.pid"
  wait_http "http://127.0.0.1:$rport/v2/" 20 "$(cat "$REG_DIR/registry.pid")" \
    || { cat "$REG_DIR/registry.log" >&2; die "the registry did not start (log above)."; }
  FRONT_LISTEN=$listen FRONT_PORT=$port UPSTREAM=127.0.0.1:$rport BLOB_HOST=${MH_REGISTRY_BLOB_HOST:-} \
    node "$here/registry-front.mjs" >"$REG_DIR/front.log" 2>&1 &
  echo $! >"$REG_DIR/front.pid"
  wait_http "http://$addr/v2/" 20 "$(cat "$REG_DIR/front.pid")" \
    || { cat "$REG_DIR/front.log" >&2; registry_stop; die "the registry front did not start (log above)."; }
  tr ',' '\n' <<<"$listen" | sed "s/\$/:$port/" >"$REG_DIR/address"
  registry_push "$addr"
  registry_status
}

# Pushes every tiny model not yet in the registry, through the front, with a real `ollama push`.
registry_push() {
  local addr=$1 name repo tag names="" missing="" dir work
  while read -r name _; do
    repo=${name%%:*}; tag=${name#*:}
    names="$names $addr/library/$name"
    curl -fsS -o /dev/null -I -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://$addr/v2/library/$repo/manifests/$tag" 2>/dev/null || missing="$missing $name"
  done <<<"$TINY_MODELS"
  echo "${names# }" >"$REG_DIR/models"
  [ -n "$missing" ] || return 0
  dir=$(cmd_models)
  cmd_build >/dev/null
  work=$(mktemp -d)
  trap 'stop_temp_server; rm -rf "$work"' EXIT
  cp -a "$dir" "$work/models"
  start_temp_server "$work/models" "$work/serve.log"
  for name in $missing; do
    log "pushing $name to $addr/library/$name"
    "$MH_OLLAMA_BIN" cp "$name" "$addr/library/$name" >/dev/null 2>&1 \
      && "$MH_OLLAMA_BIN" push --insecure "$addr/library/$name" >"$work/push.log" 2>&1 \
      || { cat "$work/push.log" "$work/serve.log" "$REG_DIR/front.log" >&2; die "ollama push $addr/library/$name failed (logs above)."; }
  done
  stop_temp_server
  rm -rf "$work"
  trap - EXIT
}

cmd_registry() {
  case "${1:-}" in
    build) registry_build ;;
    start) registry_start ;;
    stop) registry_stop ;;
    status) registry_status ;;
    *) die "usage: ollama.sh registry build|start|stop|status" ;;
  esac
}

case "${1:-}" in
  build) cmd_build ;;
  models) cmd_models ;;
  env) cmd_env ;;
  serve) shift; cmd_serve "$@" ;;
  check) shift; cmd_check "$@" ;;
  registry) shift; cmd_registry "$@" ;;
  *) die "usage: ollama.sh build|models|env|serve ADDR:PORT [DIR]|check|registry build|start|stop|status" ;;
esac
