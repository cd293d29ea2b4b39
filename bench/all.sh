#!/usr/bin/env bash
# Every benchmark, then one table (bench, figure, target, measured, peer or floor, ratio,
# PASS/MISS) with the machine it ran on; exits 1 on any MISS or crash (issue 17).
#
#   bash bench/all.sh                      the issue's scale (about an hour on 2 cores)
#   MH_BENCH_SMOKE=1 bash bench/all.sh     small N, every step runs, nothing judged (scripts/test.sh)
#
# What runs: bench/gateway.mjs (one cluster; direct vs ours vs nginx vs LiteLLM), bench/ready.mjs
# (one cluster; N ModelDeployments -> Ready against N plain Deployments), bench/switch.mjs (one
# cluster; switch on request through the gateway against the vllm-chill seed's scale 0 -> ConfigMap ->
# scale 1 procedure), bench/scale.mjs (three
# clusters, or two in the smoke run; 1000/5000/10,000 deployments: fleet status, cache heap, RSS,
# health rounds through the API server proxy, the fleet page in Chromium). Each gets fresh
# clusters; the smoke run starts its clusters once for all three. The backend runs with --cpu-prof
# and the table shows the heaviest functions of each benchmark that missed a target.
#
# Environment: MH_BENCH_STEPS (scale.mjs's steps, default 1000,5000,10000), MH_BENCH_PODS (how many
# of them run a pod, default 1000 in a full run: the rest are created scaled to zero), MH_BENCH_DEPLOYMENTS
# (ready.mjs's N, default 1000), MH_BENCH_ONLY (e.g. "gateway ready": a subset), MH_BENCH_LITELLM=skip
# (no LiteLLM; the smoke run installs it only when it is cached already), MH_BENCH_APP=keep (use
# packages/app/dist as it is), MH_BENCH_DB=sqlite (the backend on SQLite files instead of
# PostgreSQL, production's database, which bench/run.sh starts), MH_BENCH_BACKEND (prod, the
# default of a full run: the production image as users run it, laid out once by
# scripts/production-image.sh with the app's production build in it; dev: the workspace's
# sources, the default of the smoke run, about twice the memory). The table goes to
# .local/bench/table.md as well. For analysis: MH_BENCH_HEAP_SNAPSHOT=1 (scale.mjs writes the
# backend's heap snapshot at each step), MH_BENCH_PAGE_PROFILE=1 (the fleet page's CPU profile),
# MH_BENCH_CONFIG=<file> (one more app-config file for the backends, read last).
#
# Installed on first use, cached: nginx (Debian's package), LiteLLM's proxy in a virtualenv
# (~/.cache/model-hosting/litellm-<version>), the app's production build (packages/app/dist, rebuilt
# when the app's sources change).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh" >/dev/null || exit 1
set +e
smoke=${MH_BENCH_SMOKE:-}
export MH_BENCH_STATE=${MH_BENCH_STATE:-$repo/.local/bench}
mkdir -p "$MH_BENCH_STATE"
export MH_BENCH_RESULTS=$MH_BENCH_STATE/results.jsonl
# MH_BENCH_CPU_PROFILE=off: no --cpu-prof (its samples and code map cost the backend memory and CPU).
if [ "${MH_BENCH_CPU_PROFILE:-on}" != off ]; then export MH_BENCH_PROFILES=$MH_BENCH_STATE/profiles; fi
export MH_BENCH_FLEET_PAGE=1
export MH_BENCH_LOAD_BEFORE
MH_BENCH_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$MH_BENCH_RESULTS"
rm -rf "$MH_BENCH_STATE/profiles"
if [ -n "$smoke" ] && [ -z "${MH_BENCH_LITELLM:-}" ]; then export MH_BENCH_LITELLM=cached; fi
only=${MH_BENCH_ONLY:-gateway ready switch scale}
wants() { [[ " $only " == *" $1 "* ]]; }
crashed=""
t0=$(date +%s)

# A full run measures the production image (memory, the served bundle) unless told otherwise, and
# gives pods to the first 1000 deployments of the scale steps (the pod runners of three clusters on
# 2 cores start ~1.5 pods a second each under that load; MH_BENCH_PODS=all gives every one a pod).
if [ -z "$smoke" ]; then
  export MH_BENCH_BACKEND=${MH_BENCH_BACKEND:-prod}
  export MH_BENCH_PODS=${MH_BENCH_PODS:-1000}
fi
if [ "${MH_BENCH_BACKEND:-dev}" = prod ] && [ "${MH_BENCH_IMAGE:-}" != keep ]; then
  say "laying out the production image (yarn build:backend with the app, production install)"
  if bash "$repo/scripts/production-image.sh" "$MH_BENCH_STATE/image" >"$MH_BENCH_STATE/image.log" 2>&1; then
    export MH_BENCH_IMAGE=keep # laid out once for every benchmark
  else
    tail -n 20 "$MH_BENCH_STATE/image.log" >&2
    say "the production image was not laid out: nothing is measured"
    exit 1
  fi
fi

# The app's production build for the fleet page served by the workspace's backend, rebuilt when
# its sources changed (keyed by the git trees of the app and the frontend plugins, with
# uncommitted changes). The production image has its own.
if wants scale && [ "${MH_BENCH_APP:-}" != keep ] && [ "${MH_BENCH_BACKEND:-dev}" != prod ]; then
  key=$(cd "$repo" && { git rev-parse HEAD:packages/app HEAD:plugins/model-hosting HEAD:plugins/model-hosting-common HEAD:yarn.lock
    git status --porcelain -- packages/app plugins/model-hosting plugins/model-hosting-common | grep -v ' packages/app/dist' ; } | sha1sum | cut -c1-16)
  stamp=$repo/packages/app/dist/.bench-build
  if [ -f "$repo/packages/app/dist/index.html" ] && { [ -n "$smoke" ] || [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; }; then
    say "the app's production build in packages/app/dist is current"
  else
    say "building the app for production (yarn workspace app build; a few minutes)"
    if (cd "$repo" && yarn workspace app build >"$MH_BENCH_STATE/app-build.log" 2>&1); then
      echo "$key" >"$stamp"
    else
      tail -n 20 "$MH_BENCH_STATE/app-build.log" >&2
      say "the app did not build: the fleet page is not measured"
      export MH_BENCH_FLEET_PAGE=0
      crashed="$crashed app-build"
    fi
  fi
fi

if [ -n "$smoke" ]; then
  # Clusters started once for all three: two, so that scale.mjs still spans clusters.
  list=""
  for b in gateway ready switch scale; do wants "$b" && list="$list${list:+,}$b.mjs"; done
  if [ -n "$list" ]; then
    bash "$here/run.sh" "$list" 2 || crashed="$crashed smoke"
  fi
else
  wants gateway && { bash "$here/run.sh" gateway.mjs 1 || crashed="$crashed gateway"; }
  wants ready && { bash "$here/run.sh" ready.mjs 1 || crashed="$crashed ready"; }
  wants switch && { bash "$here/run.sh" switch.mjs 1 || crashed="$crashed switch"; }
  wants scale && { bash "$here/run.sh" scale.mjs 3 || crashed="$crashed scale"; }
fi
say "benchmarks done in $(($(date +%s) - t0)) s"
MH_BENCH_CRASHED=$crashed node "$here/table.mjs" "$MH_BENCH_RESULTS" "${MH_BENCH_PROFILES:-}" "$MH_BENCH_STATE/table.md"
rc=$?
if [ -n "$smoke" ]; then
  # Nothing is judged in the smoke run: only a crash fails it.
  [ -z "$crashed" ] || exit 1
  exit 0
fi
exit $rc
