#!/usr/bin/env bash
# The pod network of a local cluster: a network namespace that holds every pod IP of the cluster's
# pod CIDR, joined to the host by a veth pair. Needs root (CAP_NET_ADMIN) and iproute2.
#
#   podnet.sh cidr <cluster>          print the pod CIDR for the cluster (MH_POD_CIDR, else from its name)
#   podnet.sh check                   exit 0 when a pod network can be made here, else say why (exit 3)
#   podnet.sh up <cluster> <cidr>     create (or re-create) it; prints KEY=VALUE lines describing it
#   podnet.sh down <cluster>          remove it (namespace, veth pair, host route)
#   podnet.sh status <cluster>        print it, exit 1 when it is not there
#
# Layout for cluster "model-hosting" with pod CIDR 10.64.0.0/16:
#   namespace  mh-model-hosting: lo up, `local 10.64.0.0/16 dev lo` (a process may bind any pod IP),
#              eth0 = 169.254.64.2/30, no default route (nothing can leave it)
#   host       mhh<hash> = 169.254.64.1/30, route 10.64.0.0/16 dev mhh<hash> src 169.254.64.1
# The kube-apiserver on the host then reaches pod IPs through the veth; pods answer back to the
# link address only.
set -euo pipefail

die() { echo "podnet.sh: $*" >&2; exit 1; }
cmd=${1:-}; shift || true

ip2int() { local IFS=.; set -- $1; echo $(( ($1 << 24) + ($2 << 16) + ($3 << 8) + $4 )); }
hash8() { printf '%s' "$1" | cksum | awk '{printf "%08x", $1}'; }
netns_of() { echo "mh-$1"; }
hostif_of() { echo "mhh$(hash8 "$1")"; }

# Does a.b.c.d/n overlap any IPv4 route on the host, other than ones through our own interface?
overlaps_host_route() {
  local cidr=$1 own=${2:-} base bits start end line dst dbase dbits dstart dend
  base=${cidr%/*}; bits=${cidr#*/}
  start=$(( $(ip2int "$base") & (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF )); end=$(( start + (1 << (32 - bits)) - 1 ))
  while read -r line; do
    dst=${line%% *}
    [ "$dst" = default ] && continue
    [ -n "$own" ] && [[ " $line " == *" dev $own "* ]] && continue
    case "$dst" in */*) ;; *) dst=$dst/32 ;; esac
    [[ "$dst" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || continue
    dbase=${dst%/*}; dbits=${dst#*/}
    [ "$dbits" -ge 8 ] || continue   # ignore very wide routes (e.g. 0.0.0.0/1 VPN tricks)
    dstart=$(( $(ip2int "$dbase") & (0xFFFFFFFF << (32 - dbits)) & 0xFFFFFFFF )); dend=$(( dstart + (1 << (32 - dbits)) - 1 ))
    if [ "$dstart" -le "$end" ] && [ "$dend" -ge "$start" ]; then echo "$line"; return 0; fi
  done < <(ip -4 route show table all 2>/dev/null | grep -v '^\(broadcast\|local\|unreachable\|prohibit\) ' || true)
  return 1
}

# The pod CIDR: MH_POD_CIDR, else a /16 in 10.64.0.0-10.127.255.255 chosen from the cluster's name
# (the demo, test and bench clusters have fixed ones), moved on when the host already routes it.
cidr_for() {
  local name=$1 n
  if [ -n "${MH_POD_CIDR:-}" ]; then
    [[ "$MH_POD_CIDR" =~ ^([0-9]+\.){3}[0-9]+/([0-9]|[12][0-9]|30)$ ]] || die "MH_POD_CIDR=$MH_POD_CIDR is not an IPv4 CIDR like 10.64.0.0/16"
    echo "$MH_POD_CIDR"; return
  fi
  case "$name" in
    model-hosting) n=64 ;;
    mh-test) n=65 ;;
    mh-bench) n=66 ;;
    mh-bench-1) n=67 ;;
    mh-bench-2) n=68 ;;
    mh-bench-3) n=69 ;;
    *) n=$(( 72 + $(printf '%s' "$name" | cksum | awk '{print $1}') % 56 )) ;;
  esac
  local own; own=$(hostif_of "$name")
  for _ in $(seq 64); do
    if ! command -v ip >/dev/null 2>&1 || ! overlaps_host_route "10.$n.0.0/16" "$own" >/dev/null; then echo "10.$n.0.0/16"; return; fi
    n=$(( n + 1 )); [ "$n" -le 127 ] || n=64
  done
  die "every /16 in 10.64.0.0/10 is already routed on this host; set MH_POD_CIDR to a free range"
}

# The /30 of the veth pair: 169.254.<x>.<y>, from the CIDR's second octet when it is ours, else a hash.
link_for() {
  local name=$1 cidr=$2 a b h
  if [[ "$cidr" =~ ^10\.([0-9]+)\.0\.0/16$ ]] && [ "${BASH_REMATCH[1]}" -ge 64 ] && [ "${BASH_REMATCH[1]}" -le 127 ]; then
    a=${BASH_REMATCH[1]}; b=0
  else
    h=$(printf '%s' "$name/$cidr" | cksum | awk '{print $1}')
    a=$(( 1 + h % 250 )); [ "$a" -ge 169 ] && a=$(( a + 1 ))
    b=$(( (h / 250 % 64) * 4 ))
  fi
  echo "169.254.$a.$(( b + 1 )) 169.254.$a.$(( b + 2 ))"
}

check() {
  command -v ip >/dev/null 2>&1 || { echo "the 'ip' command (iproute2) is not installed" >&2; return 3; }
  [ "$(id -u)" = 0 ] || { echo "not running as root (network namespaces need root)" >&2; return 3; }
  local probe="mh-probe-$$"
  if ! ip netns add "$probe" 2>/dev/null; then echo "cannot create network namespaces here (no CAP_NET_ADMIN?)" >&2; return 3; fi
  ip netns del "$probe" 2>/dev/null || true
}

down() {
  local name=$1 ns hostif cidr
  ns=$(netns_of "$name"); hostif=$(hostif_of "$name")
  command -v ip >/dev/null 2>&1 || return 0
  # Processes still inside (stand-ins, real engines) go with their namespace.
  if ip netns pids "$ns" >/dev/null 2>&1; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    sleep 0.2
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  fi
  for cidr in $(ip -4 route show dev "$hostif" 2>/dev/null | awk '$1 ~ /\// && $0 !~ /proto kernel/ {print $1}'); do
    ip route del "$cidr" dev "$hostif" 2>/dev/null || true
  done
  ip link del "$hostif" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
}

up() {
  local name=$1 cidr=$2 ns hostif host_addr ns_addr
  check || exit 3
  ns=$(netns_of "$name"); hostif=$(hostif_of "$name")
  read -r host_addr ns_addr < <(link_for "$name" "$cidr")
  down "$name"
  local taken
  if taken=$(overlaps_host_route "$cidr" "$hostif"); then die "the host already routes addresses of $cidr ($taken); pick another pod CIDR with MH_POD_CIDR"; fi
  overlaps_host_route "${host_addr%.*}.$(( ${host_addr##*.} - 1 ))/30" "$hostif" >/dev/null \
    && die "the link addresses ${host_addr%.*}.$(( ${host_addr##*.} - 1 ))/30 are already in use on this host"
  ip netns add "$ns"
  ip link add "$hostif" type veth peer name eth0 netns "$ns"
  ip addr add "$host_addr/30" dev "$hostif"
  ip link set "$hostif" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$ns_addr/30" dev eth0
  ip -n "$ns" link set eth0 up
  # Every address of the pod CIDR is local inside the namespace: a server binds its pod IP directly.
  ip -n "$ns" route add local "$cidr" dev lo
  ip route add "$cidr" dev "$hostif" src "$host_addr"
  # No default route inside: nothing a pod's process sends can leave the namespace.
  if ip -n "$ns" route show default | grep -q .; then die "the namespace $ns has a default route"; fi
  echo "NETNS=$ns"
  echo "HOST_IF=$hostif"
  echo "HOST_ADDR=$host_addr"
  echo "NS_ADDR=$ns_addr"
  echo "POD_CIDR=$cidr"
}

status() {
  local name=$1 ns hostif
  ns=$(netns_of "$name"); hostif=$(hostif_of "$name")
  command -v ip >/dev/null 2>&1 || { echo "no pod network (no ip command)"; return 1; }
  ip netns list 2>/dev/null | grep -q "^$ns\( \|$\)" || { echo "no pod network"; return 1; }
  echo "netns $ns; host $(ip -4 -o addr show dev "$hostif" 2>/dev/null | awk '{print $4}'); routes: $(ip -4 route show dev "$hostif" 2>/dev/null | grep -v 'proto kernel' | awk '{print $1}' | tr '\n' ' ')"
}

case "$cmd" in
  cidr) cidr_for "${1:?cluster name}" ;;
  check) check ;;
  up) up "${1:?cluster name}" "${2:?pod CIDR}" ;;
  down) down "${1:?cluster name}" ;;
  status) status "${1:?cluster name}" ;;
  *) echo "usage: podnet.sh cidr <cluster> | check | up <cluster> <cidr> | down <cluster> | status <cluster>" >&2; exit 2 ;;
esac
