"""Finds the pinned helm, helm4, kubeconform and kubectl binaries, building them when missing.

They live in the sealed cluster's binary cache, keyed by tests/cluster/versions.env. A missing
binary is built from its Go module by tests/cluster/build-binaries.sh; when that fails the test
fails with the build's output (never a skip: a chart that was not checked is not known to work).
"""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CLUSTER_DIR = REPO / "tests" / "cluster"
BUILD_SCRIPT = CLUSTER_DIR / "build-binaries.sh"
CHART = REPO / "charts" / "stellars-jupyterhub"
BUILD_TIMEOUT_S = 1800


def pinned_versions() -> dict[str, str]:
    """tests/cluster/versions.env as a dict (KEY=value lines)."""
    versions: dict[str, str] = {}
    for raw in (CLUSTER_DIR / "versions.env").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            versions[key.strip()] = value.strip().strip("\"'")
    return versions


def binary_dir() -> Path:
    cache_root = Path(os.environ.get("STELLARS_CACHE", Path.home() / ".cache" / "stellars"))
    return cache_root / f"cluster-{pinned_versions()['KUBE_VERSION']}" / "bin"


@cache
def cluster_binary(name: str) -> Path:
    """Path of a pinned binary (helm, helm4, kubeconform, kubectl), built on first use."""
    path = binary_dir() / name
    if path.is_file() and os.access(path, os.X_OK):
        return path
    result = subprocess.run(
        [str(BUILD_SCRIPT), name],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0 or not path.is_file():
        raise AssertionError(
            f"{name} is missing from {path.parent} and `{BUILD_SCRIPT} {name}` failed "
            f"(rc {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return path
