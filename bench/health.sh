#!/usr/bin/env bash
# One command: a fresh local cluster, 1000 ModelDeployments each with a local model server, the real
# backend, then the time of a health-check round over all of them. MH_BENCH_CONCURRENCY sets the
# checks in flight (default 50). A few minutes; leaves nothing running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh"
export MH_BENCH_STATE=$repo/.local/bench
cluster() { MH_CLUSTER=mh-bench MH_KUBE_PORT=0 MH_STATE_DIR=$MH_BENCH_STATE MH_DISABLE_QPS_LIMITS=1 bash "$repo/scripts/cluster/cluster.sh" "$@"; }
cluster down >/dev/null 2>&1 || true
trap 'cluster down >/dev/null 2>&1 || true' EXIT
cluster up --no-examples >/dev/null
node "$here/health.mjs"
