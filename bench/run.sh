#!/usr/bin/env bash
# Runs one benchmark script against fresh bench clusters, then stops them.
#
#   bash bench/run.sh <script.mjs> [clusters]     clusters: how many of mh-bench-1..3 (default 1)
#
# The clusters run without the controllers' API rate limits (MH_DISABLE_QPS_LIMITS), each with its
# pod network (fixed pod CIDRs 10.67-10.69) and pod runner, state in .local/bench. The backend is
# the workspace's (MH_BENCH_BACKEND=dev, the default) or the production image laid out by
# scripts/production-image.sh (MH_BENCH_BACKEND=prod; bench/all.sh builds it once, MH_BENCH_IMAGE=keep
# uses the one there). MH_BENCH_KEEP=1 leaves the clusters running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh" >/dev/null
script=${1:?usage: run.sh <script.mjs> [clusters]}
count=${2:-1}
export MH_BENCH_STATE=${MH_BENCH_STATE:-$repo/.local/bench}
mkdir -p "$MH_BENCH_STATE"
names=""
for i in $(seq "$count"); do names="$names${names:+,}mh-bench-$i"; done
export MH_BENCH_CLUSTERS=$names MH_BENCH_NAME=${MH_BENCH_NAME:-${script%.mjs}}

cluster() {
  MH_CLUSTER=$1 MH_KUBE_PORT=0 MH_STATE_DIR=$MH_BENCH_STATE MH_DISABLE_QPS_LIMITS=1 \
    MH_BACKSTAGE_CLUSTER_NAME=$1 bash "$repo/scripts/cluster/cluster.sh" "${@:2}"
}
down_all() {
  [ "${MH_BENCH_KEEP:-}" = 1 ] && return 0
  for n in ${names//,/ }; do cluster "$n" down >/dev/null 2>&1 || true; done
}
for n in ${names//,/ }; do cluster "$n" down >/dev/null 2>&1 || true; done
trap down_all EXIT
for n in ${names//,/ }; do
  say "starting cluster $n"
  cluster "$n" up --no-examples >/dev/null
done

if [ "${MH_BENCH_BACKEND:-dev}" = prod ] && [ "${MH_BENCH_IMAGE:-}" != keep ]; then
  say "laying out the production image (yarn build:backend with the app, production install)"
  bash "$repo/scripts/production-image.sh" "$MH_BENCH_STATE/image" >/dev/null
fi
node "$here/$script"
