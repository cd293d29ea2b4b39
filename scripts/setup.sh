# Sourced by start.sh and test.sh: everything a fresh machine needs, installed once.
# Defines `yarn` (the committed Yarn release) and `die`.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

die() { echo "ERROR: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

command -v node >/dev/null 2>&1 || die "Node.js is not installed. Install Node.js 20, 22 or 24 (https://nodejs.org or your OS package manager)."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node -v) is too old; Node.js 20, 22 or 24 is needed."

export YARN_ENABLE_TELEMETRY=0 SCARF_ANALYTICS=false
# better-sqlite3 compiles here (no prebuilt binary is downloadable); node-gyp must use the
# running Node's headers instead of downloading them.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir=$node_prefix
fi

yarn() { node "$repo/.yarn/releases/yarn-4.13.0.cjs" "$@"; }

# Install when node_modules is missing or older than the lockfile.
stamp=node_modules/.model-hosting-install
if [ ! -f "$stamp" ] || [ yarn.lock -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "installing dependencies (first time: a few minutes)"
  if [ -n "${CI:-}" ]; then yarn install --immutable; else yarn install; fi
  touch "$stamp"
fi
# A native addon built for another Node version fails to load: rebuild it.
if ! node -e 'new (require("better-sqlite3"))(":memory:")' >/dev/null 2>&1; then
  say "rebuilding better-sqlite3 for Node $(node -v)"
  yarn rebuild better-sqlite3
fi

say "checking the local Kubernetes binaries (first time: about 15 minutes to build)"
bash "$repo/scripts/cluster/build.sh" >/dev/null
