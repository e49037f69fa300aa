#!/usr/bin/env bash
# Prints the project's version. Its one source is `version` in pyproject.toml's [project] table;
# the Makefile, the image scripts and charts/deploy.sh read it through this script.
set -euo pipefail
pyproject="$(cd "$(dirname "$0")/.." && pwd)/pyproject.toml"
version=$(sed -n '/^\[project\]/,/^\[/ s/^version = "\(.*\)"$/\1/p' "$pyproject")
if [ -z "$version" ]; then
  echo "project-version: no 'version = \"...\"' in the [project] table of $pyproject" >&2
  exit 1
fi
echo "$version"
