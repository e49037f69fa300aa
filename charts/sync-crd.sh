#!/usr/bin/env bash
# Copies the one source of the CRD (crds/stellarshub.yaml) into the chart, byte for byte.
# `--check` only compares them and fails when the chart's copy is stale (`make chart-sync` fixes).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/crds/stellarshub.yaml"
dst="$root/charts/stellars-jupyterhub/crds/stellarshub.yaml"

[ -f "$src" ] || { echo "sync-crd: $src is missing" >&2; exit 1; }
if [ "${1:-}" = "--check" ]; then
  if cmp -s "$src" "$dst"; then
    echo "sync-crd: chart CRD is identical to crds/stellarshub.yaml"
  else
    echo "sync-crd: $dst differs from crds/stellarshub.yaml: run 'make chart-sync'" >&2
    exit 1
  fi
  exit 0
fi
mkdir -p "$(dirname "$dst")"
cp "$src" "$dst"
echo "sync-crd: copied crds/stellarshub.yaml -> charts/stellars-jupyterhub/crds/stellarshub.yaml"
