#!/usr/bin/env bash
# Builds (once) the sealed cluster's binaries from Go modules into a cache outside the repo.
# Each binary is rebuilt only when missing; the cache is keyed by the pinned versions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
cache=${STELLARS_CACHE:-$HOME/.cache/stellars}
bin="$cache/cluster-$KUBE_VERSION/bin"
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath"

step() { echo "==> build-binaries: $*"; }

kube_ldflags() {
  local v=${KUBE_VERSION#v} pkg
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  local flags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

build_kube() {
  local name=$1
  [ -x "$bin/$name" ] && return 0
  step "$name $KUBE_VERSION"
  (cd "$here/gomod/kubernetes" && go build -ldflags "$(kube_ldflags)" -o "$bin/$name.tmp" "k8s.io/kubernetes/cmd/$name")
  mv "$bin/$name.tmp" "$bin/$name"
}

go_install() {  # name, module path@version
  local name=$1 target=$2
  [ -x "$bin/$name" ] && return 0
  step "$name ($target)"
  GOBIN="$bin" go install -ldflags "-s -w" "$target"
}

wanted=${*:-kube-apiserver kubectl etcd kube-controller-manager kube-scheduler kubelet kube-proxy coredns helm local-path-provisioner kubeconform kube-router}
for name in $wanted; do
  case $name in
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kube-proxy|kubectl) build_kube "$name" ;;
    etcd)
      if [ ! -x "$bin/etcd" ]; then
        step "etcd $ETCD_VERSION"
        (cd "$here/gomod/etcd" && go build -ldflags "-s -w" -o "$bin/etcd.tmp" .)
        mv "$bin/etcd.tmp" "$bin/etcd"
      fi ;;
    coredns) go_install coredns "github.com/coredns/coredns@$COREDNS_VERSION" ;;
    helm) go_install helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ;;
    helm4)
      if [ ! -x "$bin/helm4" ]; then
        step "helm4 $HELM4_VERSION"
        tmp=$(mktemp -d); GOBIN="$tmp" go install -ldflags "-s -w" "helm.sh/helm/v4/cmd/helm@$HELM4_VERSION"
        mv "$tmp/helm" "$bin/helm4"; rmdir "$tmp"
      fi ;;
    local-path-provisioner) go_install local-path-provisioner "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION" ;;
    kube-router) go_install kube-router "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION" ;;
    kubeconform) go_install kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" ;;
    *) echo "build-binaries: unknown binary '$name'" >&2; exit 2 ;;
  esac
done
step "done: $bin"
