#!/usr/bin/env bash
# Deletes users' data volumes, explicitly; `make down` never does. It lists what it will delete
# and asks first (or takes --yes):
#   - the volumes of every user of this stack's hub: jupyterlab-<user>_home, _workspace, _cache
#   - the shared volume: jupyterhub_shared (/mnt/shared in every lab)
#   - with --accounts also the hub's data volume (jupyterhub_data: user accounts, passwords,
#     the admin password, the cookie secret), so the next start is a fresh hub
# Only this stack's (compose/stack.sh): the shared and data volumes when they carry this Compose
# project's label, user volumes when their user is in this stack's hub database. Another
# stack's volumes on the same engine are left alone, whatever their names; jupyterlab-*
# volumes of no user of this hub are listed as such and kept.
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
# shellcheck source=stack.sh
source "$here/stack.sh"

if [ -n "$(compose ps -q)" ]; then
  say "the platform is running; stop it first with compose/down.sh (make down)"
  exit 1
fi

users=$(hub_lab_names) || { say "cannot read this stack's users from its hub database"; exit 1; }
mapfile -t lab_names <<<"$users"
volumes=() kept=()
for volume in $(docker volume ls -q | grep -E '^jupyterlab-.+_(home|workspace|cache)$' || true); do
  owner=$(project_of volume "$volume")
  if { [ -z "$owner" ] || [ "$owner" = "$project" ]; } \
    && printf '%s\n' "${lab_names[@]}" | grep -Fxq -- "${volume%_*}"; then
    volumes+=("$volume")
  else
    kept+=("$volume")
  fi
done
compose_volumes=("$(volume_name jupyterhub_shared)")
[ "$accounts" = 1 ] && compose_volumes+=("$(volume_name jupyterhub_data)")
for volume in "${compose_volumes[@]}"; do
  docker volume inspect "$volume" >/dev/null 2>&1 || continue
  if ours volume "$volume"; then volumes+=("$volume"); else kept+=("$volume"); fi
done

if [ ${#kept[@]} -gt 0 ]; then
  say "kept, not this stack's (another project's, or of no user of this hub): ${kept[*]}"
fi
if [ ${#volumes[@]} -eq 0 ]; then say "no user data volumes of this stack here; nothing to delete"; exit 0; fi

echo "These Docker volumes and everything in them will be deleted:"
printf '  %s\n' "${volumes[@]}"
if [ "$yes" != 1 ]; then
  if [ ! -t 0 ]; then say "not confirmed: run with --yes to delete without asking"; exit 1; fi
  read -r -p "Type 'delete' to confirm: " answer
  [ "$answer" = delete ] || { say "not confirmed; nothing deleted"; exit 1; }
fi
docker volume rm "${volumes[@]}" >/dev/null
say "deleted ${#volumes[@]} volume(s)"
