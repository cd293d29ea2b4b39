#!/usr/bin/env bash
# One command: a fresh local cluster without QPS limits, the real backend, 1000 ModelDeployments,
# then the figures of the cache and reconciler with their targets. A few minutes; leaves nothing running.
exec bash "$(dirname "$0")/with-cluster.sh" reconciler.mjs --no-qps-limits
