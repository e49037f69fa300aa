#!/usr/bin/env bash
# `make deploy`: build the images, load them into the cluster, `helm upgrade --install` the chart
# with a hub, wait until the StellarsHub is Ready, then print its URL and how to read the admin
# password.
#
# The cluster: $KUBECONFIG when set, else the sealed test cluster's admin kubeconfig when that
# cluster runs (`make cluster-up`), else ~/.kube/config.
#
# Settings (environment):
#   RELEASE=stellars      Helm release name
#   NAMESPACE=stellars    namespace of the operator (created when missing)
#   HUB_NAMESPACE=        namespace of the hub; empty: the chart's choice ("$NAMESPACE-hub", or
#                         where an earlier deploy put it)
#   HUB_NAME=stellars     name of the StellarsHub
#   BUILD_IMAGES=1        0 skips `make images` (use the images already built)
#   LOAD_IMAGES=1         0 skips loading the images into the cluster
#   VALUES=               an extra values file for helm (for example a hub spec of your own)
#   TIMEOUT=600           seconds to wait for the hub to be Ready
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

RELEASE=${RELEASE:-stellars}
NAMESPACE=${NAMESPACE:-stellars}
HUB_NAME=${HUB_NAME:-stellars}
HUB_NAMESPACE=${HUB_NAMESPACE:-}
BUILD_IMAGES=${BUILD_IMAGES:-1}
LOAD_IMAGES=${LOAD_IMAGES:-1}
VALUES=${VALUES:-}
TIMEOUT=${TIMEOUT:-600}
chart="$root/charts/stellars-jupyterhub"
# What the deployed hub runs (the data-science lab is the Compose path's offline fallback).
all_images=$(scripts/project-images.sh hub operator lab)
mapfile -t images <<<"$all_images"
hub_image=$(scripts/project-images.sh hub)
lab_image=$(scripts/project-images.sh lab)
sealed_kubeconfig=${STELLARS_CLUSTER_STATE:-/var/lib/stellars/cluster}/admin.kubeconfig
bin=$(tests/cluster/build-binaries.sh --bin-dir)

say() { echo "==> deploy: $*"; }
fail() { echo "deploy: $*" >&2; exit 1; }

# tool NAME: the pinned binary from the cluster cache (built when missing, rebuilt when stale and
# Go is at hand), else one on PATH.
tool() {
  tests/cluster/build-binaries.sh "$1" >/dev/null 2>&1 || true
  if [ -x "$bin/$1" ]; then
    echo "$bin/$1"
  elif command -v "$1" >/dev/null; then
    command -v "$1"
  else
    fail "no $1: neither $bin/$1 nor one on PATH"
  fi
}

if [ -z "${KUBECONFIG:-}" ] && [ -f "$sealed_kubeconfig" ]; then
  export KUBECONFIG=$sealed_kubeconfig
fi
kubectl=$(tool kubectl)
helm=$(tool helm)
context=$("$kubectl" config current-context 2>/dev/null) || fail "no cluster: set KUBECONFIG, or run 'make cluster-up' for the sealed one"
"$kubectl" version >/dev/null 2>&1 || fail "the cluster of context '$context' does not answer (KUBECONFIG=${KUBECONFIG:-~/.kube/config})"
say "cluster: context '$context'"

if [ "$BUILD_IMAGES" = 1 ]; then
  say "building images"
  scripts/build-images.sh hub operator lab
fi

if [ "$LOAD_IMAGES" = 1 ]; then
  if [ "${KUBECONFIG:-}" = "$sealed_kubeconfig" ]; then
    say "loading images into the sealed cluster"
    tests/cluster/cluster-load.sh "${images[@]}"
  elif [[ $context == kind-* ]] && command -v kind >/dev/null; then
    say "loading images into kind cluster '${context#kind-}'"
    kind load docker-image --name "${context#kind-}" "${images[@]}"
  else
    echo "deploy: cannot load images into context '$context' myself: push ${images[*]} to a" \
      "registry its nodes can pull from (and point operator.image / hub.spec.*Image at it with" \
      "VALUES=my-values.yaml), or load them into the nodes' runtime. Continuing." >&2
  fi
fi

# Helm installs crds/ on the first install only; applying it first keeps an existing CRD
# current (docs/helm.md, "Upgrading the CRD").
say "applying the StellarsHub CRD"
"$kubectl" apply --server-side --force-conflicts -f "$chart/crds/stellarshub.yaml" >/dev/null
"$kubectl" wait --for=condition=Established crd/stellarshubs.stellars.io --timeout=60s >/dev/null

say "helm upgrade --install $RELEASE (namespace $NAMESPACE, hub $HUB_NAME)"
values_args=()
[ -z "$VALUES" ] || values_args=(--values "$VALUES")
[ -z "$HUB_NAMESPACE" ] || values_args+=(--set "hub.namespace=$HUB_NAMESPACE")
"$helm" upgrade --install "$RELEASE" "$chart" \
  --namespace "$NAMESPACE" --create-namespace \
  --set hub.create=true --set "hub.name=$HUB_NAME" \
  --set "hub.spec.hubImage=$hub_image" \
  --set "hub.spec.notebookImage=$lab_image" \
  "${values_args[@]}" \
  --wait --timeout 5m

# Where the chart put the hub (its own namespace unless told otherwise).
hub_ns=$("$kubectl" get stellarshub -A -l "app.kubernetes.io/instance=$RELEASE" \
  -o jsonpath="{.items[?(@.metadata.name=='$HUB_NAME')].metadata.namespace}")
[ -n "$hub_ns" ] || fail "the release made no stellarshub/$HUB_NAME"
say "waiting up to ${TIMEOUT}s for stellarshub/$HUB_NAME (namespace $hub_ns) to be Ready"
if ! "$kubectl" -n "$hub_ns" wait --for=condition=Ready "stellarshub/$HUB_NAME" --timeout="${TIMEOUT}s"; then
  "$kubectl" -n "$hub_ns" get stellarshub "$HUB_NAME" -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 || true
  "$kubectl" -n "$hub_ns" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 20 >&2 || true
  fail "stellarshub/$HUB_NAME is not Ready after ${TIMEOUT}s (conditions and events above)"
fi

env_prefix=${KUBECONFIG:+KUBECONFIG=$KUBECONFIG }
url=$("$kubectl" -n "$hub_ns" get stellarshub "$HUB_NAME" -o jsonpath='{.status.url}')
secret=$("$kubectl" -n "$hub_ns" get stellarshub "$HUB_NAME" -o jsonpath='{.status.adminPassword.secretName}')
key=$("$kubectl" -n "$hub_ns" get stellarshub "$HUB_NAME" -o jsonpath='{.status.adminPassword.key}')
base=$("$kubectl" -n "$hub_ns" get stellarshub "$HUB_NAME" -o jsonpath='{.spec.baseUrl}')
cat <<EOF

The hub "$HUB_NAME" is Ready.
  URL (in the cluster):  $url
  from this machine:     $env_prefix$kubectl -n $hub_ns port-forward service/$HUB_NAME-proxy-public 8000:80
                         then open http://localhost:8000${base%/}/
  admin password:        $env_prefix$kubectl -n $hub_ns get secret ${secret:-$HUB_NAME-secrets} -o jsonpath='{.data.${key:-admin-password}}' | base64 -d; echo
EOF
