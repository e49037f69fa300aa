#!/usr/bin/env bash
# Builds the project's images (scripts/project-images.sh lists them, with their Dockerfiles and
# tags): hub, operator, the slim JupyterLab of the tests and the data-science lab.
# Usage: build-images.sh [--missing] [hub|operator|lab|ds-lab ...]   (default: all four)
#   --missing: build only the images that do not exist yet (what `make up` wants).
# With no registry the base is made locally (scripts/base-image.sh) and the host CA bundle is
# handed to the builder stage only; the final stages never copy it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
missing_only=0
if [ "${1:-}" = --missing ]; then missing_only=1; shift; fi
wanted=$("$root/scripts/project-images.sh" --build "$@")   # fails on an unknown name
"$root/scripts/ensure-docker.sh" >&2

base=$("$root/scripts/base-image.sh")
mkdir -p .build/ca
rm -f .build/ca/ca.crt
if [ "$base" != "${PUBLIC_BASE_IMAGE:-python:3.11-slim-bookworm}" ] && [ -s /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt .build/ca/ca.crt   # offline path only
fi
touch .build/ca/.keep

build() {  # name, dockerfile, tag
  local name=$1 file=$2 tag=$3 start=$SECONDS
  if [ "$missing_only" = 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    echo "==> images: $tag present"; return 0
  fi
  echo "==> images: building $name ($tag) FROM $base"
  if ! DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE_IMAGE=$base" -f "$file" -t "$tag" . >.build/"$name".log 2>&1; then
    echo "images: building $name failed; last lines of .build/$name.log:" >&2
    tail -n 30 .build/"$name".log >&2
    exit 1
  fi
  echo "==> images: $tag built in $((SECONDS - start))s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}

while read -r name dockerfile tag <&3; do
  build "$name" "$dockerfile" "$tag"
done 3<<<"$wanted"
