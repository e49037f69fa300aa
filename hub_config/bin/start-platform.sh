#!/bin/sh
# Hub entry point: run the start-up steps in /start-platform.d (sorted, executable ones only),
# stop with the step's name if one fails, then become jupyterhub.
set -eu

STEPS_DIR="${STELLARS_START_DIR:-/start-platform.d}"
CONFIG="${STELLARS_HUB_CONFIG:-/srv/jupyterhub/jupyterhub_config.py}"

# The glob expands sorted; byte order makes that order the same in every locale.
LC_ALL=C
export LC_ALL

if [ -d "$STEPS_DIR" ]; then
    for step in "$STEPS_DIR"/*; do
        [ -f "$step" ] && [ -x "$step" ] || continue
        echo "start-platform: running $(basename "$step")"
        if ! "$step"; then
            echo "start-platform: $(basename "$step") failed; the hub does not start" >&2
            exit 1
        fi
    done
fi

exec jupyterhub -f "$CONFIG" "$@"
