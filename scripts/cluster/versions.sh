# Versions of the local control plane. One place, read by build.sh and up.sh.
# Changing any of these makes build.sh build a new cache folder; old ones can be deleted.
K8S_VERSION=v1.33.13          # kube-apiserver, -controller-manager, -scheduler, kubectl
ETCD_VERSION=v3.5.21          # what kwok v0.7.0 pairs with Kubernetes 1.33
KWOK_VERSION=v0.7.0           # kwok + kwokctl; its default Kubernetes is 1.33
METRICS_SERVER_VERSION=v0.9.0 # v0.8.x is not served by the module proxy reachable here

MH_CACHE=${MODEL_HOSTING_CACHE:-$HOME/.cache/model-hosting}
K8S_BIN=$MH_CACHE/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}-ms-${METRICS_SERVER_VERSION}/bin
