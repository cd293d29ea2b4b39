#!/usr/bin/env bash
# A real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, metrics-server) with kwok playing the kubelets of simulated GPU nodes.
#
#   cluster.sh up   [--port N] [--no-examples]  start (or reuse) the cluster, install the CRD, nodes and examples
#   cluster.sh down                             stop it and delete its state
#   cluster.sh status                           print whether it runs, where its kubeconfig is, and its pod network
#   cluster.sh apiserver stop|start             stop only kube-apiserver (SIGKILL, as a crash), or start it
#                                               again and wait until it and the other components serve
#
# Environment: MH_CLUSTER (name, default model-hosting), MH_KUBE_PORT (apiserver port, default 36443;
# 0 picks a free one), MH_STATE_DIR (default <repo>/.local), MH_DISABLE_QPS_LIMITS=1 (lift the
# controllers' API rate limits, for benchmarks), MH_POD_CIDR (the pod CIDR; default from the name, see
# podnet.sh), MH_POD_NETWORK=off (no pod network even as root). The kubeconfig goes to
# $MH_STATE_DIR/<name>.kubeconfig (admin), and $MH_STATE_DIR/<name>.app-config.yaml holds a Backstage
# cluster entry that authenticates as the backend's ServiceAccount from k8s/rbac (least privilege).
# Nothing is downloaded: binaries come from build.sh's cache.
#
# Pod network (as root): a network namespace mh-<name> holding the cluster's pod CIDR (podnet.sh) and
# the pod runner (pod-runner/main.mjs), which serves every model-server pod on its pod IP with a
# stand-in for its engine (or real Ollama) and sets the pod's readiness from its probes. Its control
# API for tests is named in $MH_STATE_DIR/<name>.pod-runner.json. Without root the cluster starts
# without one, and says so: pods are then Ready at once with nothing behind their IPs.
#
# Model store (with the pod network; MH_MODEL_STORE=off for none): model-store.mjs serves what the
# model loader of hf:// and s3:// deployments fetches, on the pod network's host address and on
# loopback: a Hugging Face Hub stand-in (any org/name, small synthetic files) and a real S3 server
# (versitygw, built once into ~/.cache/model-hosting) holding s3://models/iris versions 1.0.0 and
# 1.4.0. The generated app-config points modelHosting.storage at both; the examples' namespace gets
# the Secret model-store-credentials with the store's S3 keys (made per cluster). Details, with the
# keys: $MH_STATE_DIR/<name>.model-store.json (mode 600).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/versions.sh"

name=${MH_CLUSTER:-model-hosting}
port=${MH_KUBE_PORT:-36443}
state=${MH_STATE_DIR:-$repo/.local}
examples=1
cmd=${1:-}; shift || true
sub=""
if [ "$cmd" = apiserver ]; then sub=${1:-}; shift || true; fi
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --no-examples) examples=0; shift ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

die() { echo "cluster.sh: $*" >&2; exit 1; }
log() { echo "[cluster $name] $*" >&2; }
kubeconfig=$state/$name.kubeconfig
logfile=$state/$name.log
# Runs a step with its output in $logfile; on failure shows the tail and stops.
step() {
  local what=$1; shift
  mkdir -p "$state"
  "$@" >>"$logfile" 2>&1 || { tail -n 30 "$logfile" >&2; die "$what failed (full log: $logfile)"; }
}
export KWOK_WORKDIR=$state/kwok
podnet_env=$state/$name.podnet
runner_pid=$state/$name.pod-runner.pid
runner_info=$state/$name.pod-runner.json
runner_log=$state/$name.pod-runner.log
store=$here/model-store.mjs
store_info=$state/$name.model-store.json
store_build=""
cidr=""
podnet=0

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

tools() {
  "$here/build.sh" >/dev/null || exit 1
  export PATH=$K8S_BIN:$PATH   # kwokctl finds kubectl on PATH instead of downloading one
}

running() {
  [ -f "$kubeconfig" ] && kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1
}

write_config() {
  mkdir -p "$state"
  cat > "$state/$name.kwok.yaml" <<EOF
kind: KwokctlConfiguration
apiVersion: config.kwok.x-k8s.io/v1alpha1
options:
  runtime: binary
  kubeVersion: $K8S_VERSION
  etcdVersion: ${ETCD_VERSION#v}
  kubeApiserverPort: $port
  kubeApiserverBinary: $K8S_BIN/kube-apiserver
  kubeControllerManagerBinary: $K8S_BIN/kube-controller-manager
  kubeSchedulerBinary: $K8S_BIN/kube-scheduler
  kubectlBinary: $K8S_BIN/kubectl
  etcdBinary: $K8S_BIN/etcd
  kwokControllerBinary: $K8S_BIN/kwok
  metricsServerBinary: $K8S_BIN/metrics-server
  enableMetricsServer: true
  quietPull: true
  disableQPSLimits: $([ -n "${MH_DISABLE_QPS_LIMITS:-}" ] && echo true || echo false)
# Room for thousands of Services and pods (the defaults are /24: 254 addresses).
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - { key: service-cluster-ip-range, value: 10.96.0.0/16 }
  - name: kwok-controller
    extraArgs:
      - { key: cidr, value: $cidr }
EOF
  # With a pod network, the pod runner decides when model-server pods are Ready (their probes).
  if [ "$podnet" = 1 ]; then
    { echo '---'; cat "$repo/k8s/local/kwok-stages.yaml"; } >> "$state/$name.kwok.yaml"
  fi
}

# ---- pod network -------------------------------------------------------------------------------

# Creates the network namespace for a new cluster; on failure the cluster runs without one.
podnet_up() {
  podnet=0
  if [ "${MH_POD_NETWORK:-}" = off ]; then
    log "no pod network (MH_POD_NETWORK=off): nothing answers behind pod IPs"
    return
  fi
  local why out
  if ! why=$(bash "$here/podnet.sh" check 2>&1); then
    log "no pod network: $why. The cluster starts without one: model-server pods are Ready at once and nothing answers behind their IPs (run as root for a pod network)."
    return
  fi
  out=$(bash "$here/podnet.sh" up "$name" "$cidr" 2>&1) || { log "no pod network: $out"; return; }
  printf '%s\n' "$out" > "$podnet_env"
  podnet=1
  log "pod network: $cidr in network namespace mh-$name"
}

podnet_var() { sed -n "s/^$1=//p" "$podnet_env" 2>/dev/null; }

runner_running() { [ -f "$runner_pid" ] && kill -0 "$(cat "$runner_pid")" 2>/dev/null; }

# The pod runner: a background process that outlives this script, like the cluster's components.
start_runner() {
  if runner_running; then
    # Its code changed since it started (a pull, an edit): start the new code, which serves the pods anew.
    if [ -n "$(find "$here/pod-runner" "$repo/packages/engine-stand-ins/src" -newer "$runner_pid" -name '*js' 2>/dev/null | head -1)" ]; then
      log "the pod runner's code changed: restarting it"
      stop_runner
    else
      return 0
    fi
  fi
  [ -d "$repo/node_modules/@kubernetes/client-node" ] || die "the pod runner needs the JavaScript dependencies: run 'node .yarn/releases/yarn-4.13.0.cjs install' in $repo"
  rm -f "$runner_info"
  setsid node "$here/pod-runner/main.mjs" --name "$name" --state "$state" --netns "$(podnet_var NETNS)" \
    --cidr "$(podnet_var POD_CIDR)" --host-address "$(podnet_var HOST_ADDR)" --kubeconfig "$kubeconfig" >>"$runner_log" 2>&1 </dev/null &
  echo $! > "$runner_pid"
  local i
  for i in $(seq 150); do
    [ -s "$runner_info" ] && return 0
    kill -0 "$(cat "$runner_pid")" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 20 "$runner_log" >&2
  die "the pod runner did not start (log: $runner_log)"
}

stop_runner() {
  if [ -f "$runner_pid" ]; then
    local pid i
    pid=$(cat "$runner_pid")
    if kill "$pid" 2>/dev/null; then
      for i in $(seq 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$runner_pid" "$runner_info"
}

# ---- model store ------------------------------------------------------------------------------

store_wanted() { [ "$podnet" = 1 ] && [ "${MH_MODEL_STORE:-}" != off ]; }

# Builds versitygw in the background (about 3 minutes the first time, then cached) while the
# cluster starts; store_up waits for it.
store_build_start() {
  store_wanted || return 0
  nice -n 10 node "$store" build >>"$logfile" 2>&1 &
  store_build=$!
}

store_up() {
  if ! store_wanted; then
    if [ "$podnet" = 1 ]; then log "no model store (MH_MODEL_STORE=off): hf:// and s3:// models cannot load"; fi
    return 0
  fi
  if [ -n "$store_build" ]; then
    wait "$store_build" || { tail -n 30 "$logfile" >&2; die "building versitygw for the model store failed (full log: $logfile)"; }
    store_build=""
  fi
  step "starting the model store (scripts/cluster/model-store.mjs)" \
    node "$store" up --name "$name" --state "$state" --host "$(podnet_var HOST_ADDR)"
  log "$(node "$store" status --name "$name" --state "$state" 2>/dev/null | sed 's/; details.*//')"
}

store_var() { node -e 'const i=require(process.argv[1]);console.log(process.argv[2].split(".").reduce((o,k)=>o[k],i))' "$store_info" "$1"; }

# ---- components --------------------------------------------------------------------------------

# Components whose process is gone (kwokctl keeps their pids in its workdir); a zombie counts as gone.
dead_components() {
  local f pid
  for f in "$KWOK_WORKDIR/clusters/$name/pids/"*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if ! kill -0 "$pid" 2>/dev/null || [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]; then
      basename "$f" .pid
    fi
  done
}

# kwokctl starts metrics-server together with kube-apiserver; when metrics-server loses that race it
# exits ("unable to load configmap based request-header-client-ca-file ... connection refused") and
# nothing starts it again. Here: until the metrics API is available, any component that died is
# started again (kwokctl start cluster starts only the stopped ones), its last log lines noted.
wait_components() {
  local k=(kubectl --kubeconfig "$kubeconfig") deadline=$((SECONDS + 120)) dead c restarts=0
  while [ $SECONDS -lt $deadline ]; do
    dead=$(dead_components | tr '\n' ' ')
    if [ -n "${dead// }" ]; then
      restarts=$((restarts + 1))
      [ $restarts -le 5 ] || break
      for c in $dead; do
        { echo "[cluster $name] $c had exited; the end of its log:"; tail -n 3 "$KWOK_WORKDIR/clusters/$name/logs/$c.log" 2>/dev/null
          echo "[cluster $name] (end of $c's log)"; } >>"$logfile"
        # kwokctl takes a zombie for a running process: forget it, so that it starts a new one.
        rm -f "$KWOK_WORKDIR/clusters/$name/pids/$c.pid"
      done
      log "starting again: $dead(it had exited; see $logfile)"
      kwokctl start cluster --name "$name" >>"$logfile" 2>&1 || true
    fi
    if [ "$("${k[@]}" get apiservice v1beta1.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" = True ]; then
      return 0
    fi
    sleep 1
  done
  "${k[@]}" get apiservice v1beta1.metrics.k8s.io >>"$logfile" 2>&1 || true
  tail -n 20 "$KWOK_WORKDIR/clusters/$name/logs/metrics-server.log" >&2 2>/dev/null || true
  die "the metrics API did not become available (metrics-server log above; full log: $logfile)"
}

up() {
  tools
  mkdir -p "$state"
  if running; then
    log "already running ($(kubectl --kubeconfig "$kubeconfig" config view -o jsonpath='{.clusters[0].cluster.server}'))"
    if [ -f "$podnet_env" ]; then
      cidr=$(podnet_var POD_CIDR)
      # The namespace went away (by hand, or a crash of down): make it again with the same CIDR.
      if ! bash "$here/podnet.sh" status "$name" >/dev/null 2>&1; then stop_runner; podnet_up; else podnet=1; fi
    fi
  else
    stop_runner
    kwokctl delete cluster --name "$name" >/dev/null 2>&1 || true   # stale state from a crash or reboot
    bash "$here/podnet.sh" down "$name" >/dev/null 2>&1 || true
    rm -f "$podnet_env"
    # Clusters starting at the same time must not pick the same ports (kwokctl picks its components'
    # ports by trying to bind them, so two creates at once get the same ones) or pod CIDR: one at a
    # time until its components listen.
    exec 8>"${TMPDIR:-/tmp}/model-hosting-cluster-start.lock"
    flock 8
    [ "$port" = 0 ] && port=$(free_port)
    port_in_use "$port" && die "port $port is already in use on 127.0.0.1. Stop what uses it (ss -ltnp 'sport = :$port') or pick another with MH_KUBE_PORT=<port>."
    cidr=$(bash "$here/podnet.sh" cidr "$name")
    podnet_up
    store_build_start
    write_config
    if kwokctl create cluster --name "$name" --config "$state/$name.kwok.yaml" --dry-run 2>&1 | grep -Eqi "download https?:"; then
      die "kwokctl would download something; the local binaries in $K8S_BIN are incomplete. Run scripts/cluster/build.sh."
    fi
    log "starting on 127.0.0.1:$port"
    rm -f "$kubeconfig"
    step "kwokctl create cluster (component logs: $KWOK_WORKDIR/clusters/$name/logs)" \
      kwokctl create cluster --name "$name" --config "$state/$name.kwok.yaml" --kubeconfig "$kubeconfig" --wait 120s
    flock -u 8
    kwokctl get kubeconfig --name "$name" > "$kubeconfig"
  fi
  local k=(kubectl --kubeconfig "$kubeconfig")
  step "installing the CRD" "${k[@]}" apply --server-side -f "$repo/k8s/crd/modeldeployment.yaml"
  step "creating the simulated GPU nodes" "${k[@]}" apply -f "$repo/k8s/local/gpu-nodes.yaml"
  step "waiting for the CRD" "${k[@]}" wait --for condition=Established crd/modeldeployments.modelhosting.io --timeout 60s
  step "waiting for the nodes" "${k[@]}" wait --for condition=Ready node --all --timeout 120s
  # The HPA needs resource metrics: wait until metrics-server serves them (starting it again if it died).
  wait_components
  step "installing RBAC" "${k[@]}" apply -f "$repo/k8s/rbac/"
  store_up
  write_backstage_config
  if [ "$podnet" = 1 ]; then start_runner; fi
  if [ "$examples" = 1 ]; then
    step "installing the examples' namespace" "${k[@]}" apply -f "$repo/k8s/examples/00-namespace.yaml"
    # The Secret the examples name in spec.storage.credentials, with the local store's S3 keys
    # (through a pipe: never on a command line).
    if store_wanted; then
      step "creating the Secret model-store-credentials in ml-serving" \
        bash -c 'set -o pipefail; node "$1" secret --name "$2" --state "$3" --namespace ml-serving | "${@:4}" apply -f -' \
        _ "$store" "$name" "$state" "${k[@]}"
    fi
    step "installing the examples" "${k[@]}" apply -f "$repo/k8s/examples/"
  fi
  log "ready; kubeconfig: $kubeconfig"
  echo "$kubeconfig"
}

# The cluster as Backstage sees it: the backend's ServiceAccount token, not the admin certificate.
write_backstage_config() {
  local k=(kubectl --kubeconfig "$kubeconfig") server ca token
  server=$("${k[@]}" config view --raw -o jsonpath='{.clusters[0].cluster.server}')
  ca=$("${k[@]}" config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
  [ -n "$ca" ] || ca=$(base64 -w0 < "$("${k[@]}" config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority}')")
  token=$("${k[@]}" create token model-hosting-backend -n model-hosting --duration 720h)
  cat > "$state/$name.app-config.yaml" <<EOF
# Generated by scripts/cluster/cluster.sh for the local simulated cluster '$name'. Do not commit.
kubernetes:
  clusterLocatorMethods:
    - type: config
      clusters:
        - name: ${MH_BACKSTAGE_CLUSTER_NAME:-local}
          url: $server
          authProvider: serviceAccount
          serviceAccountToken: $token
          caData: $ca
EOF
  # The model loader fetches hf:// and s3:// models from the local model store (the addresses pods
  # reach); deployments naming a store of their own in spec.storage.s3 keep it.
  if store_wanted && [ -f "$store_info" ]; then
    cat >> "$state/$name.app-config.yaml" <<EOF
modelHosting:
  storage:
    hfEndpoint: $(store_var hub.url)
    s3:
      endpoint: $(store_var s3.endpoint)
      region: $(store_var s3.region)
      pathStyle: true
EOF
  fi
}

down() {
  tools
  stop_runner
  node "$store" down --name "$name" --state "$state" >/dev/null 2>&1 || true
  kwokctl delete cluster --name "$name" >/dev/null 2>&1 || true
  bash "$here/podnet.sh" down "$name" >/dev/null 2>&1 || true
  log "stopped"
  rm -rf "$kubeconfig" "$state/$name.kwok.yaml" "$state/$name.app-config.yaml" "$podnet_env" "$state/$name.pods"
}

status() {
  if [ -f "$kubeconfig" ] && PATH=$K8S_BIN:$PATH running; then echo "running: $kubeconfig"; else echo "not running"; exit 1; fi
  if [ -f "$podnet_env" ] && runner_running; then
    echo "pod network: $(podnet_var POD_CIDR) in netns $(podnet_var NETNS); pod runner control: $(sed -n 's/.*"control": "\(.*\)".*/\1/p' "$runner_info")"
  elif [ -f "$podnet_env" ]; then
    echo "pod network: $(podnet_var POD_CIDR) in netns $(podnet_var NETNS); pod runner: not running (cluster.sh up starts it)"
  else
    echo "pod network: none"
  fi
  node "$store" status --name "$name" --state "$state" 2>/dev/null || true
}

# An API server outage for tests: only kube-apiserver goes; etcd keeps the state, and the other
# components and the pod runner reconnect once it is back.
apiserver() {
  tools
  local pidfile=$KWOK_WORKDIR/clusters/$name/pids/kube-apiserver.pid
  case "${1:-}" in
    stop)
      [ -f "$pidfile" ] || die "no kube-apiserver of cluster $name is running"
      kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
      # kwokctl starts only what has no live pid.
      rm -f "$pidfile"
      while running; do sleep 0.2; done
      log "kube-apiserver stopped"
      ;;
    start)
      kwokctl start cluster --name "$name" >>"$logfile" 2>&1 || die "kwokctl start cluster failed (log: $logfile)"
      local deadline=$((SECONDS + 60))
      until running; do
        [ $SECONDS -lt $deadline ] || die "kube-apiserver did not become ready (log: $KWOK_WORKDIR/clusters/$name/logs/kube-apiserver.log)"
        sleep 0.2
      done
      # metrics-server can lose its race with a starting API server, as at up.
      wait_components
      log "kube-apiserver started"
      ;;
    *) die "usage: cluster.sh apiserver stop|start" ;;
  esac
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  apiserver) apiserver "$sub" ;;
  *) echo "usage: cluster.sh up [--port N] [--no-examples] | down | status | apiserver stop|start" >&2; exit 2 ;;
esac
