#!/usr/bin/env bash
# Runs the product: Backstage with the model-hosting plugins at http://localhost:3000.
# Uses the clusters named in app-config.local.yaml when it names any; otherwise starts the
# local simulated GPU cluster with the example models. SQLite data lives in .local/sqlite.
. "$(dirname "$0")/setup.sh"

configs=("$repo/app-config.yaml")
local_config="$repo/app-config.local.yaml"
if [ -f "$local_config" ] && grep -Eq '^\s*(clusterLocatorMethods|clusters):' "$local_config"; then
  say "using the clusters configured in app-config.local.yaml"
else
  say "starting the local simulated GPU cluster (stop it with: bash scripts/cluster/cluster.sh down)"
  bash "$repo/scripts/cluster/cluster.sh" up >/dev/null
  configs+=("$repo/.local/model-hosting.app-config.yaml")
  # With the pod network (as root) the examples' pods answer on their pod IPs and the demo sends them a
  # trickle of requests through the API server; without it, stand-ins on loopback answer instead and
  # the generated config points the health checks at them.
  bash "$repo/scripts/cluster/cluster.sh" status | sed -n 's/^pod network/==> pod network/p' >&2 || true
  rm -f "$repo/.local/demo-engines.app-config.yaml"
  node "$repo/scripts/demo-engines.mjs" "$repo/.local/model-hosting.kubeconfig" "$repo/.local/demo-engines.app-config.yaml" &
  demo_engines=$!
  trap 'kill $demo_engines 2>/dev/null || true' EXIT
  for _ in $(seq 50); do [ -s "$repo/.local/demo-engines.app-config.yaml" ] && break; sleep 0.2; done
  configs+=("$repo/.local/demo-engines.app-config.yaml")
fi
[ -f "$local_config" ] && configs+=("$local_config")

mkdir -p "$repo/.local/sqlite"
args=(); for c in "${configs[@]}"; do args+=(--config "$c"); done
say "starting Backstage: http://localhost:3000 (backend on :7007)"
node "$repo/.yarn/releases/yarn-4.13.0.cjs" start "${args[@]}"
