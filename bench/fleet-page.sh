#!/usr/bin/env bash
# One command: the app's production build, the backend serving it, and headless Chromium timing the
# fleet page with 1000 deployments; prints time to interactive and bundle sizes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$repo/scripts/setup.sh"
export MH_BENCH_STATE=$repo/.local/bench
say "building the app for production"
yarn workspace app build >/dev/null
node "$here/fleet-page.mjs"
