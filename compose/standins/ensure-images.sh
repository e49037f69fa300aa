#!/usr/bin/env bash
# Makes sure every image the stack names exists locally. For each image of
#   docker compose <compose args> config --images
# (default args: --env-file compose/.env -f compose/compose.yml): present -> nothing; pull works
# -> pulled, else a local stand-in built from the Go module and tagged with the very name
# compose uses. Our own images (the hub) are never pulled: missing -> an error naming `make images`.
# STELLARS_OFFLINE=1 skips the pull attempts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { echo "ensure-images: $*" >&2; }

if [ $# -eq 0 ]; then set -- --env-file "$root/compose/.env" -f "$root/compose/compose.yml"; fi
"$here/ensure-compose.sh"
images=$(docker compose "$@" config --images | sort -u)

pull() {
  [ "${STELLARS_OFFLINE:-auto}" = 1 ] && return 1
  timeout "${STELLARS_PULL_TIMEOUT:-120}" docker pull -q "$1" >/dev/null 2>&1
}

build_standin() {  # kind (traefik|watchtower), image tag
  local kind=$1 tag=$2 bin base version module
  bin=$("$here/build-binary.sh" "$kind")
  version=$(basename "$(dirname "$bin")"); version=${version#"$kind"-}
  module=$(awk '$1 == "require" && NF == 3 { print $2 }' "$here/$kind/gomod/go.mod")
  base=$("$root/scripts/base-image.sh")
  say "building stand-in $tag ($module@$version on $base)"
  docker build -q -t "$tag" --build-arg BASE_IMAGE="$base" --build-arg VERSION="$version" \
    --build-arg MODULE="$module" -f "$here/$kind/Dockerfile" "$(dirname "$bin")" >/dev/null
}

standin_kind() {  # which stand-in can replace an image, if any
  case ${1%%:*} in
    traefik|*/traefik) echo traefik ;;
    *watchtower) echo watchtower ;;
  esac
}

missing=0
for image in $images; do
  if docker image inspect "$image" >/dev/null 2>&1; then continue; fi
  kind=$(standin_kind "$image")
  if [ -z "$kind" ]; then
    # Our own images are built here, never pulled: a registry image of the same name would be
    # someone else's build.
    say "missing image $image: build it with \`make images\`"
    missing=1
    continue
  fi
  if pull "$image"; then say "pulled $image"; continue; fi
  build_standin "$kind" "$image"
done
exit "$missing"
