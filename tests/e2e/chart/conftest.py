"""Fixtures of the chart's end-to-end tests on the real cluster (the `kube_config` fixture's)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.chart.chart_cluster import Cluster
from tests.unit.chart.chart_binaries import REPO

VERSION = "0.1.0"
IMAGES = (
    f"stellars/stellars-operator:{VERSION}",
    f"stellars/stellars-jupyterhub-ds:{VERSION}",
    f"stellars/jupyterlab-slim:{VERSION}",
)
SEALED_KUBECONFIG = (
    Path(os.environ.get("STELLARS_CLUSTER_STATE", "/var/lib/stellars/cluster")) / "admin.kubeconfig"
)


@pytest.fixture
def cluster(kube_config: Any) -> Cluster:
    return Cluster(kubeconfig=Path(os.fspath(kube_config)))


@pytest.fixture(scope="session")
def chart_images() -> tuple[str, ...]:
    """Our images inside the sealed cluster's containerd (another cluster must have them)."""
    load = REPO / "tests" / "cluster" / "cluster-load.sh"
    if SEALED_KUBECONFIG.is_file() and load.is_file():
        result = subprocess.run(
            [str(load), *IMAGES], capture_output=True, text=True, timeout=900, check=False
        )
        assert result.returncode == 0, f"cluster-load.sh failed:\n{result.stdout}\n{result.stderr}"
    return IMAGES
