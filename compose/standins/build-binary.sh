#!/usr/bin/env bash
# Builds one stand-in binary (traefik | watchtower | docker-compose) from its Go module into a
# cache outside the repository, keyed by version; does nothing when the binary is already there.
# Each builds inside its wrapper module (NAME/gomod), which pins the version.
# Prints the binary's path on stdout; progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${STELLARS_CACHE:-$HOME/.cache/stellars}/standins
export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -trimpath"
say() { echo "standins: $*" >&2; }

required() {  # version a wrapper module requires: gomod dir, module path
  awk -v m="$2" '$1 == "require" && $2 == m { print $3 }' "$here/$1/go.mod"
}
name=${1:?usage: build-binary.sh traefik|watchtower|docker-compose}
case $name in
  traefik) version=$(required traefik/gomod github.com/traefik/traefik/v3) ;;
  watchtower) version=$(required watchtower/gomod github.com/containrrr/watchtower) ;;
  docker-compose) version=$(required compose/gomod github.com/docker/compose/v2) ;;
  *) echo "build-binary: unknown stand-in '$name'" >&2; exit 2 ;;
esac
out="$cache/$name-$version/$name"
if [ -x "$out" ]; then echo "$out"; exit 0; fi
command -v go >/dev/null || { echo "build-binary: Go is needed to build $name $version" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"; flock 9
if [ -x "$out" ]; then echo "$out"; exit 0; fi
say "building $name $version from its Go module (several minutes, once)"
start=$SECONDS
case $name in
  traefik)
    # Traefik's go.mod has replace directives, so it builds inside the wrapper module.
    (cd "$here/traefik/gomod" && go build -ldflags "-s -w \
      -X github.com/traefik/traefik/v3/pkg/version.Version=$version \
      -X github.com/traefik/traefik/v3/pkg/version.Codename=standin" \
      -o "$out.tmp" github.com/traefik/traefik/v3/cmd/traefik) >&2 ;;
  watchtower)
    # timetzdata: the base image has no zoneinfo, and the schedule may name a TZ.
    (cd "$here/watchtower/gomod" && go build -tags timetzdata -ldflags "-s -w \
      -X github.com/containrrr/watchtower/internal/meta.Version=$version" \
      -o "$out.tmp" github.com/containrrr/watchtower) >&2 ;;
  docker-compose)
    # compose's go.mod has exclude directives: it builds inside the wrapper module too.
    (cd "$here/compose/gomod" && go build \
      -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$version" \
      -o "$out.tmp" github.com/docker/compose/v2/cmd) >&2 ;;
esac
mv "$out.tmp" "$out"
say "built $out in $((SECONDS - start))s"
echo "$out"
