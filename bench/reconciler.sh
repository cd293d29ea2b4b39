#!/usr/bin/env bash
# One command: a fresh local cluster without QPS limits, the real backend, 1000 ModelDeployments,
# then the figures of issue 3 with their targets. Takes a few minutes; leaves nothing running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh"
export MH_BENCH_STATE=$repo/.local/bench
cluster() { MH_CLUSTER=mh-bench MH_KUBE_PORT=0 MH_STATE_DIR=$MH_BENCH_STATE MH_DISABLE_QPS_LIMITS=1 bash "$repo/scripts/cluster/cluster.sh" "$@"; }
cluster down >/dev/null 2>&1 || true
trap 'cluster down >/dev/null 2>&1 || true' EXIT
cluster up --no-examples >/dev/null
node "$here/reconciler.mjs"
