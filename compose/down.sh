#!/usr/bin/env bash
# Stops the single-host platform (`make down`) and keeps every volume: hub state, certificates,
# the shared volume and each user's home/workspace/cache. Users' lab containers, which the hub
# started outside Compose, are stopped first (they are created with remove=True, so stopping
# removes the container and nothing else); otherwise the network could not be removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
say() { echo "down: $*" >&2; }

"$here/standins/ensure-compose.sh"
DOCKER_GID=$(stat -c %g /var/run/docker.sock)
export DOCKER_GID
files=(--env-file .env -f compose.yml)
[ -f compose_override.yml ] && files+=(-f compose_override.yml)
compose() { docker compose "${files[@]}" "$@"; }

network=$(compose config --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["networks"]["jupyterhub_network"]["name"])')
project=$(compose config --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
labs=$(docker ps -q --filter "network=$network" | while read -r id; do
  [ "$(docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' "$id")" = "$project" ] || echo "$id"
done)
if [ -n "$labs" ]; then
  say "stopping users' lab containers: $(docker inspect -f '{{.Name}}' $labs | tr -d / | tr '\n' ' ')"
  docker stop $labs >/dev/null
fi
compose down --remove-orphans
say "stopped; volumes kept (compose/remove-user-data.sh deletes user data, explicitly)"
