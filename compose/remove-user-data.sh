#!/usr/bin/env bash
# Deletes users' data volumes, explicitly; `make down` never does. It lists what it will delete
# and asks first (or takes --yes):
#   - every user's volumes: jupyterlab-<user>_home, _workspace, _cache
#   - the shared volume: jupyterhub_shared (/mnt/shared in every lab)
#   - with --accounts also the hub's data volume (jupyterhub_data: user accounts, passwords,
#     the admin password, the cookie secret), so the next start is a fresh hub
# The certificate volume is left alone. The stack must be down (compose/down.sh) first: Docker
# refuses to delete a volume a container uses.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
say() { echo "remove-user-data: $*" >&2; }
usage() { echo "usage: remove-user-data.sh [--accounts] [--yes]" >&2; exit 2; }

yes=0 accounts=0
for arg in "$@"; do
  case $arg in
    --yes|-y) yes=1 ;;
    --accounts) accounts=1 ;;
    *) usage ;;
  esac
done

"$here/standins/ensure-compose.sh"
export DOCKER_GID=${DOCKER_GID:-0}
files=(--env-file .env -f compose.yml)
[ -f compose_override.yml ] && files+=(-f compose_override.yml)
config=$(docker compose "${files[@]}" config --format json)
volume_name() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["volumes"][sys.argv[2]]["name"])' "$config" "$1"; }

if [ -n "$(docker compose "${files[@]}" ps -q)" ]; then
  say "the platform is running; stop it first with compose/down.sh (make down)"
  exit 1
fi

mapfile -t volumes < <(
  docker volume ls -q | grep -E '^jupyterlab-.+_(home|workspace|cache)$' || true
  docker volume ls -q | grep -Fx "$(volume_name jupyterhub_shared)" || true
  if [ "$accounts" = 1 ]; then docker volume ls -q | grep -Fx "$(volume_name jupyterhub_data)" || true; fi
)
if [ ${#volumes[@]} -eq 0 ]; then say "no user data volumes here; nothing to delete"; exit 0; fi

echo "These Docker volumes and everything in them will be deleted:"
printf '  %s\n' "${volumes[@]}"
if [ "$yes" != 1 ]; then
  if [ ! -t 0 ]; then say "not confirmed: run with --yes to delete without asking"; exit 1; fi
  read -r -p "Type 'delete' to confirm: " answer
  [ "$answer" = delete ] || { say "not confirmed; nothing deleted"; exit 1; }
fi
docker volume rm "${volumes[@]}" >/dev/null
say "deleted ${#volumes[@]} volume(s)"
