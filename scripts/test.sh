#!/usr/bin/env bash
# Runs the whole test suite: type check, unit tests, integration tests against a real local
# control plane, and end-to-end tests in Chromium. Installs what is missing first.
. "$(dirname "$0")/setup.sh"

t0=$SECONDS
phase() { say "$1 ($((SECONDS - t0)) s elapsed)"; }

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    phase "installing Debian's chromium for the end-to-end tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium >/dev/null; } \
      || die "could not install chromium with apt-get"
  else
    die "Chromium is missing at $chromium. Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH."
  fi
fi
export CHROMIUM_PATH=$chromium

phase "type check"
yarn tsc

phase "house style: Prettier and lint (yarn prettier --write . and yarn lint:all --fix repair most of it)"
yarn prettier:check
yarn lint:all

phase "API reports of the published packages (yarn build:api-reports writes them)"
yarn build:api-reports --ci

phase "unit tests"
CI=true yarn test

# Before the cluster, so that its pod runner finds it: real Ollama behind the Ollama pods of the
# integration tests (the jest global setup checks again; nothing happens when it is cached).
phase "real Ollama for the integration tests (cached; the first time it is compiled from its Go module: about 6-8 minutes)"
bash scripts/engines/ollama.sh env >/dev/null

phase "starting the test cluster"
export MH_TEST_STATE_DIR=$repo/.local/test-cluster
export MH_TEST_CLUSTER=${MH_TEST_CLUSTER:-mh-test}
MH_CLUSTER=$MH_TEST_CLUSTER MH_KUBE_PORT=0 MH_STATE_DIR=$MH_TEST_STATE_DIR bash scripts/cluster/cluster.sh down >/dev/null 2>&1 || true
pg_dir=""
trap 'MH_CLUSTER=$MH_TEST_CLUSTER MH_STATE_DIR=$MH_TEST_STATE_DIR bash scripts/cluster/cluster.sh down >/dev/null 2>&1 || true; [ -z "$pg_dir" ] || bash scripts/postgres.sh stop "$pg_dir"' EXIT
MH_CLUSTER=$MH_TEST_CLUSTER MH_KUBE_PORT=0 MH_STATE_DIR=$MH_TEST_STATE_DIR bash scripts/cluster/cluster.sh up >/dev/null

# One PostgreSQL server for the run (production's database): the two-replica test, the integration
# suite's PostgreSQL pass and the production walk each make their own databases on it.
phase "starting PostgreSQL (Debian's postgresql; a throwaway cluster on 127.0.0.1)"
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/mh-pg-XXXXXX")
pg_env=$(bash scripts/postgres.sh start "$pg_dir") # exports MH_TEST_PG_URL
eval "$pg_env"

phase "integration tests"
CI=true yarn workspace integration-tests test:integration

phase "integration tests on PostgreSQL (the suites that touch the database)"
CI=true yarn workspace integration-tests test:integration:pg

phase "end-to-end tests"
CI=true yarn test:e2e

phase "end-to-end tests against the production bundle (built and laid out as the image; PostgreSQL; kubeconfig and in-cluster)"
CI=true yarn playwright test -c playwright.production.config.ts

phase "install test: the packed plugins in a separate Backstage app"
yarn workspace install-test test:install

phase "benchmark smoke: every step of bench/all.sh at small N, nothing judged (about 5 minutes)"
MH_BENCH_SMOKE=1 bash bench/all.sh

phase "all tests passed"
