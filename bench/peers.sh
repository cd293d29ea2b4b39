#!/usr/bin/env bash
# The gateways ours is compared with (bench/gateway.mjs): nginx as a plain reverse proxy (the floor,
# Debian's package) and LiteLLM's proxy (PyPI's litellm[proxy], in a virtualenv cached in
# ~/.cache/model-hosting/litellm-<version>). Prints shell assignments NGINX=<path> and LITELLM=<path>,
# empty with a reason on stderr when one cannot be installed.
#
#   bash bench/peers.sh            install what is missing (nginx with apt-get as root), print paths
#
# MH_BENCH_LITELLM=cached: LiteLLM only when it is installed already (the smoke run); =skip: none.
set -uo pipefail
LITELLM_VERSION=${MH_LITELLM_VERSION:-1.110.2}
cache=${MODEL_HOSTING_CACHE:-$HOME/.cache/model-hosting}
say() { echo "[bench peers] $*" >&2; }

nginx=$(command -v nginx || true)
[ -z "$nginx" ] && [ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx
if [ -z "$nginx" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's nginx (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1 ||
      apt-get install -y --no-install-recommends nginx >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends nginx >/dev/null 2>&1; }; } ||
      say "apt-get could not install nginx"
    # The package starts a server on :80 on some systems; the benchmark runs its own.
    command -v systemctl >/dev/null 2>&1 && systemctl stop nginx >/dev/null 2>&1
    [ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx
  else
    say "nginx is missing and this is not root with apt-get: install Debian's nginx"
  fi
fi

venv=$cache/litellm-$LITELLM_VERSION
litellm=""
# The smoke run installs nothing over the network.
[ "${MH_BENCH_SMOKE:-}" = 1 ] && [ -z "${MH_BENCH_LITELLM:-}" ] && MH_BENCH_LITELLM=cached
if [ "${MH_BENCH_LITELLM:-}" = skip ]; then
  say "LiteLLM skipped (MH_BENCH_LITELLM=skip)"
elif [ -x "$venv/bin/litellm" ] && [ -f "$venv/.done" ]; then
  litellm=$venv/bin/litellm
elif [ "${MH_BENCH_LITELLM:-}" = cached ]; then
  say "LiteLLM skipped: not installed in $venv yet, and this run installs nothing over the network (bash bench/peers.sh installs it)"
else
  # One install at a time (two benchmarks starting at once would remove each other's virtualenv).
  mkdir -p "$cache"
  exec 9>"$cache/litellm.lock"
  flock 9
  py=$(command -v python3 || true)
  if [ -x "$venv/bin/litellm" ] && [ -f "$venv/.done" ]; then
    litellm=$venv/bin/litellm
  elif [ -z "$py" ]; then
    say "python3 is missing: LiteLLM's proxy cannot be installed"
  else
    say "installing litellm[proxy]==$LITELLM_VERSION into $venv (once; a few minutes)"
    rm -rf "$venv" && mkdir -p "$cache"
    # The proxy extra of litellm 1.110 names a package litellm-proxy that the registry reachable
    # here does not have (the proxy's code is in litellm itself): then install litellm and the
    # extra's other requirements, read from the wheel's own metadata.
    if "$py" -m venv "$venv" >"$cache/litellm-install.log" 2>&1 &&
      { "$venv/bin/pip" install -q "litellm[proxy]==$LITELLM_VERSION" >>"$cache/litellm-install.log" 2>&1 ||
        { say "litellm[proxy] needs litellm-proxy, which the registry lacks: installing the extra's other requirements"
          "$venv/bin/pip" install -q "litellm==$LITELLM_VERSION" >>"$cache/litellm-install.log" 2>&1 &&
            "$venv/bin/python" - >"$venv/proxy-requirements.txt" <<'PY' &&
import importlib.metadata as m, re
for r in m.requires("litellm") or []:
    if re.search(r"extra == [\"']proxy[\"']\s*$", r) and not r.startswith("litellm-proxy"):
        r = re.sub(r" *(and )?extra == [\"']proxy[\"']\s*$", "", r).rstrip("; ")
        # Its enterprise hooks pin a post-release the registry may lack: any version of it.
        print(re.sub(r"^litellm-enterprise\s*==\s*[^ ;]+", "litellm-enterprise", r))
PY
            "$venv/bin/pip" install -q -r "$venv/proxy-requirements.txt" >>"$cache/litellm-install.log" 2>&1; }; }; then
      touch "$venv/.done"
      litellm=$venv/bin/litellm
    else
      say "litellm[proxy] did not install: $(tail -n 3 "$cache/litellm-install.log" | tr '\n' ' ')"
    fi
  fi
fi
echo "NGINX=$nginx"
echo "LITELLM=$litellm"
