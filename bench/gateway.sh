#!/usr/bin/env bash
# One command: a local cluster, the real backend, local model servers; prints the gateway's added
# latency, its throughput and its scale-from-zero reaction. About a minute; leaves nothing running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh"
export MH_BENCH_STATE=$repo/.local/bench
cluster() { MH_CLUSTER=mh-bench MH_KUBE_PORT=0 MH_STATE_DIR=$MH_BENCH_STATE bash "$repo/scripts/cluster/cluster.sh" "$@"; }
cluster down >/dev/null 2>&1 || true
trap 'cluster down >/dev/null 2>&1 || true' EXIT
cluster up --no-examples >/dev/null
node "$here/gateway.mjs"
