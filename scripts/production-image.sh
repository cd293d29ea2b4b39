#!/usr/bin/env bash
# Lays out the production image's /app in a directory, as packages/backend/Dockerfile builds it,
# without a container engine: the production bundle (`yarn build:backend`: the backend and the app
# it serves), the skeleton with a production-only install (`yarn workspaces focus --all
# --production`), catalog/, templates/ and the app-config files. Run the result as the image does:
#
#   cd DIR && NODE_ENV=production node packages/backend --config app-config.yaml --config app-config.production.yaml
#
#   production-image.sh DIR [--no-build]   --no-build: use packages/backend/dist as it is
#
# The production install is cached in ~/.cache/model-hosting (MODEL_HOSTING_CACHE), keyed by the
# lockfile, the skeleton and the Node version: it changes only with the dependencies.
# Keep the steps in step with packages/backend/Dockerfile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:?usage: production-image.sh DIR [--no-build]}
build=1
[ "${2:-}" = --no-build ] && build=0

die() { echo "production-image.sh: $*" >&2; exit 1; }
say() { echo "[production image] $*" >&2; }
yarn() { node "$repo/.yarn/releases/yarn-4.13.0.cjs" "$@"; }
export YARN_ENABLE_TELEMETRY=0 SCARF_ANALYTICS=false

cd "$repo"
mkdir -p "$repo/.local"
if [ "$build" = 1 ]; then
  say "yarn build:backend (the backend bundle with the app's production build)"
  yarn build:backend >"$repo/.local/build-backend.log" 2>&1 ||
    { tail -n 30 "$repo/.local/build-backend.log" >&2; die "yarn build:backend failed (log: .local/build-backend.log)"; }
fi
dist=$repo/packages/backend/dist
[ -f "$dist/bundle.tar.gz" ] && [ -f "$dist/skeleton.tar.gz" ] || die "no bundle in $dist: run yarn build:backend"

# COPY .yarn .yarnrc.yml backstage.json yarn.lock package.json skeleton.tar.gz; tar xzf skeleton.tar.gz
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r .yarn .yarnrc.yml backstage.json yarn.lock package.json "$stage/"
rm -f "$stage/.yarn/install-state.gz"
tar xzf "$dist/skeleton.tar.gz" -C "$stage"

# RUN yarn workspaces focus --all --production (cached: what decides its result is hashed)
key=$( {
  cat yarn.lock package.json .yarnrc.yml
  tar xzf "$dist/skeleton.tar.gz" -O
  node -v
} | sha256sum | cut -c1-16)
cache=${MODEL_HOSTING_CACHE:-$HOME/.cache/model-hosting}/production-install-$key
if [ ! -f "$cache/.done" ]; then
  say "production install (yarn workspaces focus --all --production), cached in $cache"
  rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
  cp -a "$stage/." "$cache.tmp/"
  node_prefix=$(dirname "$(dirname "$(command -v node)")")
  (
    cd "$cache.tmp"
    # better-sqlite3 compiles against the running Node's headers (no download).
    [ -f "$node_prefix/include/node/node.h" ] && export npm_config_nodedir=${npm_config_nodedir:-$node_prefix}
    NODE_ENV=production yarn workspaces focus --all --production
  ) >"$repo/.local/production-install.log" 2>&1 ||
    { tail -n 30 "$repo/.local/production-install.log" >&2; die "the production install failed (log: .local/production-install.log)"; }
  touch "$cache.tmp/.done"
  rm -rf "$cache" && mv "$cache.tmp" "$cache"
  # Older installs are of other lockfiles: drop them.
  for old in "${cache%-*}"-*; do [ "$old" = "$cache" ] || rm -rf "$old"; done
fi

rm -rf "$out" && mkdir -p "$out"
cp -a "$stage/." "$out/"
# node_modules as hard links into the cache (nothing writes to them); everything else copied.
(cd "$cache" && find . -name node_modules -type d -prune) | while read -r d; do
  mkdir -p "$out/$(dirname "$d")"
  cp -al "$cache/$d" "$out/$d"
done
# COPY catalog templates; COPY bundle.tar.gz app-config*.yaml; tar xzf bundle.tar.gz
cp -r catalog templates "$out/"
cp app-config*.yaml "$out/"
rm -f "$out/app-config.local.yaml"
tar xzf "$dist/bundle.tar.gz" -C "$out"
say "laid out in $out"
