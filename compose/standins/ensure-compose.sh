#!/usr/bin/env bash
# Makes sure `docker compose` (v2) works: does nothing when it does; otherwise builds the CLI
# plugin from its Go module (cached, see build-binary.sh) and installs it for the current user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins

if docker compose version >/dev/null 2>&1; then exit 0; fi
bin=$("$here/build-binary.sh" docker-compose)
mkdir -p "$plugins"
install -m 755 "$bin" "$plugins/docker-compose"
echo "ensure-compose: installed $("$plugins/docker-compose" version --short 2>/dev/null) as $plugins/docker-compose" >&2
docker compose version >/dev/null
