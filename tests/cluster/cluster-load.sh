#!/usr/bin/env bash
# Imports local Docker images into the sealed cluster's containerd, so pods can use them with
# imagePullPolicy IfNotPresent or Never (nothing is pulled from a registry).
#   cluster-load.sh IMAGE...      e.g. cluster-load.sh stellars/stellars-operator:0.1.0
set -euo pipefail
SCRIPT_NAME=cluster-load
source "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || { echo "usage: $0 IMAGE..." >&2; exit 2; }
pid_of containerd >/dev/null \
  || { echo "cluster-load: the cluster's containerd is not running (start it: tests/cluster/cluster-up.sh)" >&2; exit 1; }
for image in "$@"; do
  import_image "$image" || exit 1
done
say "loaded: $*"
