#!/usr/bin/env bash
# Runs benchmark scripts against fresh bench clusters, then stops them.
#
#   bash bench/run.sh <script.mjs>[,<script.mjs>…] [clusters]
#
# clusters: how many of mh-bench-1..3 (default 1). Several scripts (comma-separated) run in turn
# against the same clusters (bench/all.sh does so in the smoke run, to start clusters once); each
# one's rows are named after it (MH_BENCH_NAME). A script that fails does not stop the next; the
# exit status is then 1.
#
# The clusters run without the controllers' API rate limits (MH_DISABLE_QPS_LIMITS), each with its
# pod network (a pod CIDR chosen from its name by podnet.sh) and pod runner, state in .local/bench.
# The backend is the workspace's (MH_BENCH_BACKEND=dev, the default) or the production image laid
# out by scripts/production-image.sh (MH_BENCH_BACKEND=prod; MH_BENCH_IMAGE=keep uses the one
# there). MH_BENCH_KEEP=1 leaves the clusters running. MH_BENCH_PROFILES=DIR: the backend runs with
# --cpu-prof, its profile in DIR/<script name>/. The backend's database is PostgreSQL, as in
# production (a throwaway server from scripts/postgres.sh, fresh databases per backend start);
# MH_BENCH_DB=sqlite runs it on SQLite files instead (the local default).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh" >/dev/null
scripts=${1:?usage: run.sh <script.mjs>[,<script.mjs>…] [clusters]}
count=${2:-1}
export MH_BENCH_STATE=${MH_BENCH_STATE:-$repo/.local/bench}
mkdir -p "$MH_BENCH_STATE"
names=""
for i in $(seq "$count"); do names="$names${names:+,}mh-bench-$i"; done
export MH_BENCH_CLUSTERS=$names

cluster() {
  MH_CLUSTER=$1 MH_KUBE_PORT=0 MH_STATE_DIR=$MH_BENCH_STATE MH_DISABLE_QPS_LIMITS=1 \
    MH_BACKSTAGE_CLUSTER_NAME=$1 bash "$repo/scripts/cluster/cluster.sh" "${@:2}"
}
pg_dir=""
down_all() {
  [ -z "$pg_dir" ] || bash "$repo/scripts/postgres.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  [ "${MH_BENCH_KEEP:-}" = 1 ] && return 0
  for n in ${names//,/ }; do cluster "$n" down >/dev/null 2>&1 || true; done
}
for n in ${names//,/ }; do cluster "$n" down >/dev/null 2>&1 || true; done
trap down_all EXIT
for n in ${names//,/ }; do
  say "starting cluster $n"
  cluster "$n" up --no-examples >/dev/null
done

if [ "${MH_BENCH_DB:-pg}" = pg ]; then
  pg_dir=$(mktemp -d /tmp/mh-bench-pg-XXXXXX)
  pg_env=$(bash "$repo/scripts/postgres.sh" start "$pg_dir")
  export MH_BENCH_PG_URL=${pg_env#export MH_TEST_PG_URL=}
  say "PostgreSQL for the backend at ${MH_BENCH_PG_URL##*@}"
fi

if [ "${MH_BENCH_BACKEND:-dev}" = prod ] && [ "${MH_BENCH_IMAGE:-}" != keep ]; then
  say "laying out the production image (yarn build:backend with the app, production install)"
  bash "$repo/scripts/production-image.sh" "$MH_BENCH_STATE/image" >/dev/null
fi
rc=0
for script in ${scripts//,/ }; do
  name=${script%.mjs}
  say "bench/$script on $names"
  profile=""
  if [ -n "${MH_BENCH_PROFILES:-}" ]; then profile=$MH_BENCH_PROFILES/$name && mkdir -p "$profile"; fi
  MH_BENCH_NAME=$name MH_BENCH_PROFILE=${profile:-${MH_BENCH_PROFILE:-}} node --experimental-websocket "$here/$script" || {
    say "bench/$script failed"
    rc=1
  }
done
exit $rc
