#!/usr/bin/env bash
# Builds the local control plane from Go modules, once, into a cache outside the checkout:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok, kwokctl, metrics-server.
# A second run finds every binary and builds nothing. Prints the bin folder on the last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

die() { echo "build.sh: $*" >&2; exit 1; }
log() { echo "[k8s-build] $*" >&2; }

want=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl metrics-server)
missing=()
for b in "${want[@]}"; do [ -x "$K8S_BIN/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$K8S_BIN"; exit 0; fi

command -v go >/dev/null 2>&1 || die "Go is not installed. Install Go 1.24 or newer (https://go.dev/doc/install, or your OS package) and run again; it is needed to build the local Kubernetes control plane."
gover=$(go env GOVERSION | sed 's/^go//')
case "$gover" in 1.2[4-9]*|1.[3-9]*) ;; *) die "Go $gover is too old; Go 1.24 or newer is needed (metrics-server $METRICS_SERVER_VERSION needs 1.26.4 or newer)." ;; esac

export GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-trimpath -buildvcs=false"
src=$MH_CACHE/src
mkdir -p "$src" "$K8S_BIN"
exec 9>"$MH_CACHE/build.lock"
flock 9   # two builds at once would fight over the same cache
log "building ${missing[*]} into $K8S_BIN (first time only: 20-40 minutes on 2 cores)"

# Kubernetes: a throwaway module that pins every staging module k8s.io/<x> v0.0.0 to its real tag.
build_kubernetes() {
  local dir=$src/k8sbin-$K8S_VERSION minor=${K8S_VERSION#v1.} gomod staging x="" p
  mkdir -p "$dir"; cd "$dir"
  if [ ! -f go.sum ]; then
    gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [ -n "$gomod" ] || die "could not download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy ($(go env GOPROXY))."
    staging=$(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*#\1#p' "$gomod")
    printf 'module local/k8sbin\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n' "$K8S_VERSION" > go.mod
    for m in $staging; do go mod edit "-replace=$m=$m@v0.$minor"; done
    printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n)\n' > tools.go
    log "resolving Kubernetes modules"
    go mod tidy >&2 || { rm -f go.sum; die "go mod tidy failed for Kubernetes $K8S_VERSION (see above)."; }
  fi
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x="$x -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=${minor%%.*} -X $p.gitTreeState=clean"
  done
  log "compiling Kubernetes $K8S_VERSION"
  go build -p 2 -tags selinux,notest,grpcnotrace -ldflags "-s -w $x" -o "$K8S_BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl >&2 \
    || die "building Kubernetes $K8S_VERSION failed (see above)."
}

# etcd: server/v3 has replace directives, so `go install` refuses it; a throwaway module does not.
build_etcd() {
  local dir=$src/etcdbin-$ETCD_VERSION
  mkdir -p "$dir"; cd "$dir"
  if [ ! -f go.sum ]; then
    printf 'module local/etcdbin\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
    printf 'package tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
    go mod tidy >&2 || { rm -f go.sum; die "go mod tidy failed for etcd $ETCD_VERSION (see above)."; }
  fi
  log "compiling etcd $ETCD_VERSION"
  go build -ldflags "-s -w" -o "$K8S_BIN/etcd" go.etcd.io/etcd/server/v3 >&2 || die "building etcd $ETCD_VERSION failed (see above)."
}

build_go_install() { # module@version [extra ldflags]
  log "compiling $1"
  GOBIN=$K8S_BIN go install -ldflags "-s -w ${2:-}" "$1" >&2 || die "building $1 failed (see above)."
}

need() { for b in "$@"; do [ -x "$K8S_BIN/$b" ] || return 0; done; return 1; }
need kube-apiserver kube-controller-manager kube-scheduler kubectl && build_kubernetes
need etcd && build_etcd
need kwok && build_go_install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
need kwokctl && build_go_install "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
need metrics-server && build_go_install "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION" \
  "-X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION"

for b in "${want[@]}"; do [ -x "$K8S_BIN/$b" ] || die "$b is still missing after the build."; done
log "done: $("$K8S_BIN/kube-apiserver" --version)"
echo "$K8S_BIN"
