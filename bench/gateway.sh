#!/usr/bin/env bash
# One command: a local cluster, the real backend, local model servers; prints the gateway's added
# latency, its throughput and its scale-from-zero reaction. About a minute; leaves nothing running.
exec bash "$(dirname "$0")/with-cluster.sh" gateway.mjs
