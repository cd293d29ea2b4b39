#!/usr/bin/env bash
# One command: a fresh local cluster, 1000 ModelDeployments each with a local model server, the real
# backend, then the time of a health-check round over all of them. MH_BENCH_CONCURRENCY sets the
# checks in flight (default 50). A few minutes; leaves nothing running.
exec bash "$(dirname "$0")/with-cluster.sh" health.mjs --no-qps-limits
