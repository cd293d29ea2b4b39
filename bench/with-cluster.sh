#!/usr/bin/env bash
# Runs a benchmark script against a fresh local cluster (mh-bench), then removes the cluster.
# usage: with-cluster.sh <script.mjs> [--no-qps-limits]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh"
export MH_BENCH_STATE=$repo/.local/bench
qps=""
[ "${2:-}" = "--no-qps-limits" ] && qps=1
cluster() { MH_CLUSTER=mh-bench MH_KUBE_PORT=0 MH_STATE_DIR=$MH_BENCH_STATE MH_DISABLE_QPS_LIMITS=$qps bash "$repo/scripts/cluster/cluster.sh" "$@"; }
cluster down >/dev/null 2>&1 || true
trap 'cluster down >/dev/null 2>&1 || true' EXIT
cluster up --no-examples >/dev/null
node "$here/$1"
