#!/usr/bin/env bash
# The project's images, listed here once, each tagged with the project's version
# (scripts/project-version.sh).
# Usage:
#   project-images.sh [NAME...]           image references, one a line (default: every image)
#   project-images.sh --build [NAME...]   "NAME DOCKERFILE IMAGE" lines (scripts/build-images.sh)
# NAME is hub, operator, lab (the slim lab of the tests) or ds-lab (the data-science lab `make up`
# uses where stellars/stellars-jupyterlab-ds:latest cannot be pulled).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$("$here/project-version.sh")

# NAME DOCKERFILE (relative to the repository root) REPOSITORY
images="\
hub hub_config/Dockerfile stellars/stellars-jupyterhub-ds
operator operator/Dockerfile stellars/stellars-operator
lab tests/images/jupyterlab-slim/Dockerfile stellars/jupyterlab-slim
ds-lab images/lab/Dockerfile stellars/jupyterlab-ds"

build=0
if [ "${1:-}" = --build ]; then build=1; shift; fi
names=${*:-$(cut -d' ' -f1 <<<"$images")}
for name in $names; do
  line=$(grep "^$name " <<<"$images") || {
    echo "project-images: unknown image '$name' ($(cut -d' ' -f1 <<<"$images" | paste -sd, -))" >&2
    exit 2
  }
  read -r _ dockerfile repository <<<"$line"
  if [ "$build" = 1 ]; then
    echo "$name $dockerfile $repository:$version"
  else
    echo "$repository:$version"
  fi
done
