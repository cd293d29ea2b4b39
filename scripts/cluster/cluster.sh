#!/usr/bin/env bash
# A real local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, metrics-server) with kwok playing the kubelets of simulated GPU nodes.
#
#   cluster.sh up   [--port N] [--no-examples]  start (or reuse) the cluster, install the CRD, nodes and examples
#   cluster.sh down                             stop it and delete its state
#   cluster.sh status                           print whether it runs and where its kubeconfig is
#
# Environment: MH_CLUSTER (name, default model-hosting), MH_KUBE_PORT (apiserver port, default 36443;
# 0 picks a free one), MH_STATE_DIR (default <repo>/.local), MH_DISABLE_QPS_LIMITS=1 (lift the
# controllers' API rate limits, for benchmarks). The kubeconfig goes to
# $MH_STATE_DIR/<name>.kubeconfig (admin), and $MH_STATE_DIR/<name>.app-config.yaml holds a Backstage
# cluster entry that authenticates as the backend's ServiceAccount from k8s/rbac (least privilege).
# Nothing is downloaded: binaries come from build.sh's cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/versions.sh"

name=${MH_CLUSTER:-model-hosting}
port=${MH_KUBE_PORT:-36443}
state=${MH_STATE_DIR:-$repo/.local}
examples=1
cmd=${1:-}; shift || true
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
      - { key: cidr, value: 10.244.0.1/16 }
EOF
}

up() {
  tools
  if running; then
    log "already running ($(kubectl --kubeconfig "$kubeconfig" config view -o jsonpath='{.clusters[0].cluster.server}'))"
  else
    kwokctl delete cluster --name "$name" >/dev/null 2>&1 || true   # stale state from a crash or reboot
    [ "$port" = 0 ] && port=$(free_port)
    port_in_use "$port" && die "port $port is already in use on 127.0.0.1. Stop what uses it (ss -ltnp 'sport = :$port') or pick another with MH_KUBE_PORT=<port>."
    write_config
    if kwokctl create cluster --name "$name" --config "$state/$name.kwok.yaml" --dry-run 2>&1 | grep -Eqi "download https?:"; then
      die "kwokctl would download something; the local binaries in $K8S_BIN are incomplete. Run scripts/cluster/build.sh."
    fi
    log "starting on 127.0.0.1:$port"
    rm -f "$kubeconfig"
    step "kwokctl create cluster (component logs: $KWOK_WORKDIR/clusters/$name/logs)" \
      kwokctl create cluster --name "$name" --config "$state/$name.kwok.yaml" --kubeconfig "$kubeconfig" --wait 120s
    kwokctl get kubeconfig --name "$name" > "$kubeconfig"
  fi
  local k=(kubectl --kubeconfig "$kubeconfig")
  step "installing the CRD" "${k[@]}" apply --server-side -f "$repo/k8s/crd/modeldeployment.yaml"
  step "creating the simulated GPU nodes" "${k[@]}" apply -f "$repo/k8s/local/gpu-nodes.yaml"
  step "waiting for the CRD" "${k[@]}" wait --for condition=Established crd/modeldeployments.modelhosting.io --timeout 60s
  step "waiting for the nodes" "${k[@]}" wait --for condition=Ready node --all --timeout 120s
  # The HPA needs resource metrics: wait until metrics-server serves them.
  step "waiting for the metrics API" "${k[@]}" wait --for condition=Available apiservice/v1beta1.metrics.k8s.io --timeout 120s
  step "installing RBAC" "${k[@]}" apply -f "$repo/k8s/rbac/"
  write_backstage_config
  if [ "$examples" = 1 ]; then
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
}

down() {
  tools
  kwokctl delete cluster --name "$name" >/dev/null 2>&1 || true
  log "stopped"
  rm -f "$kubeconfig" "$state/$name.kwok.yaml" "$state/$name.app-config.yaml"
}

status() {
  if [ -f "$kubeconfig" ] && PATH=$K8S_BIN:$PATH running; then echo "running: $kubeconfig"; else echo "not running"; exit 1; fi
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: cluster.sh up [--port N] [--no-examples] | down | status" >&2; exit 2 ;;
esac
