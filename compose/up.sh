#!/usr/bin/env bash
# Starts the single-host platform (`make up`): Docker engine, `docker compose` v2 and the
# Traefik/Watchtower images (pulled, or stand-ins built offline) are made sure of first; the hub
# image comes from `make images`; the lab image is pulled or, offline, the project's own
# data-science lab is built (compose/lab-image.sh). Waits until the hub answers through Traefik
# over HTTPS, then prints the URL and where the admin password is.
#
# Environment: any .env setting overrides the file (HTTPS_PORT=8443 compose/up.sh);
# COMPOSE_PROJECT_NAME picks the project; STELLARS_UP_TIMEOUT bounds the wait (seconds, 300).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$here"
say() { echo "up: $*" >&2; }
start=$SECONDS

"$root/scripts/ensure-docker.sh" >&2
"$here/standins/ensure-compose.sh"
DOCKER_GID=$(stat -c %g /var/run/docker.sock)
export DOCKER_GID
files=(--env-file .env -f compose.yml)
[ -f compose_override.yml ] && files+=(-f compose_override.yml)
compose() { docker compose "${files[@]}" "$@"; }

"$here/standins/ensure-images.sh" "${files[@]}"
IFS=$'\t' read -r lab_image base_url admin < <(compose config --format json | python3 -c '
import json, sys
env = json.load(sys.stdin)["services"]["jupyterhub"]["environment"]
print(env["DOCKER_NOTEBOOK_IMAGE"], env["JUPYTERHUB_BASE_URL"].rstrip("/"), env["JUPYTERHUB_ADMIN"], sep="\t")')
# The original lab where it can be had, else the project's own (compose/lab-image.sh); the
# shell's value overrides .env for `docker compose`.
DOCKER_NOTEBOOK_IMAGE=$("$here/lab-image.sh" "$lab_image")
export DOCKER_NOTEBOOK_IMAGE

fail() {
  say "$1; recent logs:"
  compose ps -a >&2 || true
  compose logs --tail 60 >&2 || true
  exit 1
}
# Traefik waits for the hub to be healthy (it needs the certificate the hub writes), so this
# already fails when the hub cannot start.
compose up -d --remove-orphans || fail "docker compose up failed"

https_port=$(compose port traefik 443 | sed 's/.*://')
url="https://localhost:$https_port$base_url/"
[ "$https_port" = 443 ] && url="https://localhost$base_url/"
health="${url}hub/health"
deadline=$((SECONDS + ${STELLARS_UP_TIMEOUT:-300}))
say "waiting for $health"
until curl -ksf -o /dev/null --max-time 5 "$health"; do
  [ $SECONDS -lt $deadline ] || fail "the hub did not answer at $health within ${STELLARS_UP_TIMEOUT:-300}s"
  sleep 2
done

hub=$(docker inspect -f '{{.Name}}' "$(compose ps -q jupyterhub)" | tr -d /)
cat <<EOF
up: the platform answers at $url (started in $((SECONDS - start))s)
up: admin user: $admin; password: JUPYTERHUB_ADMIN_PASSWORD if you set one, else
up:   docker exec $hub cat /data/admin-password
EOF
