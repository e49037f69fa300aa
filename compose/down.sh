#!/usr/bin/env bash
# Stops the single-host platform (`make down`) and keeps every volume: hub state, certificates,
# the shared volume and each user's home/workspace/cache. Users' lab containers, which the hub
# started outside Compose, are stopped first (they are created with remove=True, so stopping
# removes the container and nothing else); otherwise the network could not be removed.
# Only this stack's: its Compose project's containers, and the labs of its own hub's users
# (compose/stack.sh). A container of another project is left running, even on this network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
say() { echo "down: $*" >&2; }

"$here/standins/ensure-compose.sh"
# shellcheck source=stack.sh
source "$here/stack.sh"

users=$(hub_lab_names) || { say "cannot read this stack's users from its hub database"; exit 1; }
mapfile -t lab_names <<<"$users"
labs=() others=()
for id in $(docker ps -q --filter "network=$network"); do
  owner=$(project_of container "$id")
  [ "$owner" = "$project" ] && continue   # Compose stops its own below
  name=$(docker inspect -f '{{.Name}}' "$id"); name=${name#/}
  if [ -z "$owner" ] && printf '%s\n' "${lab_names[@]}" | grep -Fxq -- "$name"; then
    labs+=("$id")
  else
    others+=("$name")
  fi
done
if [ ${#labs[@]} -gt 0 ]; then
  say "stopping users' lab containers: $(docker inspect -f '{{.Name}}' "${labs[@]}" | tr -d / | tr '\n' ' ')"
  docker stop "${labs[@]}" >/dev/null
fi
if [ ${#others[@]} -gt 0 ]; then
  say "left running on network $network (not this stack's): ${others[*]}"
fi
compose down --remove-orphans
say "stopped; volumes kept (compose/remove-user-data.sh deletes user data, explicitly)"
