# Sourced by down.sh and remove-user-data.sh: this stack's Compose files and what belongs to it.
# Everything Compose creates carries the label com.docker.compose.project=<this project>; the
# users' lab containers and volumes, which the hub creates, carry no label: they are this
# stack's when their name is the lab name of a user in this stack's hub database
# (hub_lab_names.py). Nothing of another project on the same engine is touched, even when it
# shares a name pattern or a network name.
# Expects: $here (the compose folder, also the working directory) and say().

export DOCKER_GID=${DOCKER_GID:-$(stat -c %g /var/run/docker.sock 2>/dev/null || echo 0)}
files=(--env-file .env -f compose.yml)
[ -f compose_override.yml ] && files+=(-f compose_override.yml)
compose() { docker compose "${files[@]}" "$@"; }

config=$(compose config --format json)
config_value() {  # python expression on the parsed config `c`
  python3 -c 'import json, sys; c = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$config" "$1"
}
project=$(config_value 'c["name"]')
network=$(config_value 'c["networks"]["jupyterhub_network"]["name"]')
hub_image=$(config_value 'c["services"]["jupyterhub"]["image"]')
volume_name() { config_value "c['volumes']['$1']['name']"; }
project_of() {  # container|volume, id or name: the Compose project it belongs to ("" if none)
  local format='{{index .Config.Labels "com.docker.compose.project"}}' value
  [ "$1" = volume ] && format='{{index .Labels "com.docker.compose.project"}}'
  value=$(docker "$1" inspect -f "$format" "$2")
  [ "$value" = "<no value>" ] && value=
  echo "$value"
}
ours() { [ "$(project_of "$1" "$2")" = "$project" ]; }

# The lab names (jupyterlab-<user>) of this stack's users, read from its hub's database: through
# the running hub, or else from the data volume with the hub image (read-only, no network).
hub_lab_names() {
  local hub data
  hub=$(compose ps -q --status running jupyterhub 2>/dev/null || true)
  if [ -n "$hub" ]; then
    compose exec -T jupyterhub python3 - /data <"$here/hub_lab_names.py" || [ $? = 3 ]
    return
  fi
  data=$(volume_name jupyterhub_data)
  if ! docker volume inspect "$data" >/dev/null 2>&1 || ! ours volume "$data"; then
    return 0
  fi
  docker run --rm -i --pull never --network none --entrypoint python3 -v "$data:/data:ro" "$hub_image" \
    - /data <"$here/hub_lab_names.py" || [ $? = 3 ]
}
