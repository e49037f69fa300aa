#!/usr/bin/env bash
# Prints the base image to build FROM. Uses the public Python slim image when it can be pulled;
# otherwise (no registry, as in the sealed environment) makes a Debian bookworm base with Python
# from a cached debootstrap rootfs and `docker import`s it. Rebuilt only when missing.
# Progress goes to stderr; stdout carries only the image name.
set -euo pipefail
public=${PUBLIC_BASE_IMAGE:-python:3.11-slim-bookworm}
local_tag=${LOCAL_BASE_IMAGE:-stellars/debian-python:bookworm}
cache=${STELLARS_CACHE:-$HOME/.cache/stellars}/base
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { echo "base-image: $*" >&2; }

if docker image inspect "$public" >/dev/null 2>&1; then echo "$public"; exit 0; fi
if [ "${STELLARS_OFFLINE:-auto}" != 1 ] && timeout 60 docker pull -q "$public" >/dev/null 2>&1; then
  echo "$public"; exit 0
fi
if docker image inspect "$local_tag" >/dev/null 2>&1; then echo "$local_tag"; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/.lock"; flock 9
if docker image inspect "$local_tag" >/dev/null 2>&1; then echo "$local_tag"; exit 0; fi
tarball="$cache/bookworm-python.tar"
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { say "installing debootstrap"; apt-get install -y -qq debootstrap >&2; }
  rootfs=$(mktemp -d "$cache/rootfs.XXXX")
  say "debootstrap bookworm into $rootfs (a few minutes, once)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,netbase \
    bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; rm -rf "$rootfs"; exit 1; }
  # Keep the image lean: apt lists and docs are not needed at run time.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
  tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
fi
say "importing $tarball as $local_tag"
docker import -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["python3"]' "$tarball" "$local_tag" >/dev/null
echo "$local_tag"
