#!/usr/bin/env bash
# Prints the lab image `make up` has the hub spawn, given the one the settings name.
# Present locally -> that image. Else pulled when the registry has it. Else, for the original
# default (stellars/stellars-jupyterlab-ds:latest: no registry, air-gapped), the project's own
# data-science lab (images/lab, `scripts/build-images.sh ds-lab`, built when missing) under its
# own tag, with one line saying so; any other image is printed as it is, with a warning.
# Progress goes to stderr; stdout carries only the image name.
# STELLARS_OFFLINE=1 skips the registry; STELLARS_PULL_TIMEOUT bounds the registry check (30 s).
# Usage: lab-image.sh IMAGE
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
image=${1:?usage: lab-image.sh IMAGE}
original=stellars/stellars-jupyterlab-ds:latest
say() { echo "up: $*" >&2; }

if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; exit 0; fi
# The manifest check fails fast without a registry; the pull itself is not bounded (the
# original lab is several GB on a slow line).
if [ "${STELLARS_OFFLINE:-auto}" != 1 ] \
  && timeout "${STELLARS_PULL_TIMEOUT:-30}" docker manifest inspect "$image" >/dev/null 2>&1; then
  say "pulling lab image $image"
  if docker pull -q "$image" >/dev/null; then echo "$image"; exit 0; fi
fi
if [ "$image" != "$original" ]; then
  say "warning: lab image $image is neither here nor pullable; spawns will fail until it is"
  echo "$image"; exit 0
fi
own=$("$root/scripts/project-images.sh" ds-lab)
"$root/scripts/build-images.sh" --missing ds-lab >&2
say "$original cannot be pulled here; labs run the project's data-science lab $own (images/lab)"
echo "$own"
