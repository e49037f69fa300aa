#!/usr/bin/env bash
# Builds (once) the sealed cluster's binaries from Go modules into a cache outside the repo.
# Each binary is rebuilt only when missing (helm and helm4 also when they do not report their
# pinned version); the cache is keyed by the pinned versions.
#
#   build-binaries.sh [NAME...]   build what is missing (default: every binary)
#   build-binaries.sh --bin-dir   print the cache's bin directory (the one place that knows it)
set -euo pipefail
source "$(dirname "$0")/lib.sh"  # versions.env, $BIN
bin=$BIN
if [ "${1:-}" = --bin-dir ]; then echo "$bin"; exit 0; fi
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

# helm_ldflags MAJOR VERSION: what helm's own Makefile sets. Its version (else `helm version`
# says v3.18), and for helm 3 the Kubernetes version its client-go speaks: `helm template` and
# `helm lint` assume it without --kube-version, and unset it is 1.20, below the chart's
# kubeVersion. Helm 4 reads that one from the binary's build info by itself.
helm_ldflags() {
  local major=$1 version=$2 module="helm.sh/helm/v$1" flags pkg minor
  flags="-s -w -X $module/internal/version.version=$version -X $module/internal/version.gitTreeState=clean"
  if [ "$major" = 3 ]; then
    minor=$(client_go_minor "$module@$version")
    [ -n "$minor" ] || { echo "build-binaries: no k8s.io/client-go in $module@$version's go.mod" >&2; exit 1; }
    for pkg in pkg/chartutil pkg/lint/rules; do
      flags+=" -X $module/$pkg.k8sVersionMajor=1 -X $module/$pkg.k8sVersionMinor=$minor"
    done
  fi
  echo "$flags"
}

# client_go_minor MODULE@VERSION: the minor of the k8s.io/client-go it requires (v0.33.3: 33).
client_go_minor() {
  local gomod
  gomod=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod"
}

# build_helm NAME MAJOR VERSION: also rebuilds a cached helm that does not report VERSION (one
# built before the version flags were set), so a warm machine picks them up.
build_helm() {
  local name=$1 major=$2 version=$3 reported tmp
  if [ -x "$bin/$name" ]; then
    reported=$("$bin/$name" version --short 2>/dev/null || true)
    if [ "$reported" = "$version" ] || [[ $reported == "$version+"* ]]; then return 0; fi
  fi
  step "$name $version"
  tmp=$(mktemp -d)
  GOBIN="$tmp" go install -ldflags "$(helm_ldflags "$major" "$version")" "helm.sh/helm/v$major/cmd/helm@$version"
  mv "$tmp/helm" "$bin/$name"
  rmdir "$tmp"
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
    helm) build_helm helm 3 "$HELM_VERSION" ;;
    helm4) build_helm helm4 4 "$HELM4_VERSION" ;;
    local-path-provisioner) go_install local-path-provisioner "github.com/rancher/local-path-provisioner@$LOCAL_PATH_VERSION" ;;
    kube-router) go_install kube-router "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION" ;;
    kubeconform) go_install kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" ;;
    *) echo "build-binaries: unknown binary '$name'" >&2; exit 2 ;;
  esac
done
step "done: $bin"
