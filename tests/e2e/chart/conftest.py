"""Fixtures of the chart's end-to-end tests on the real cluster (tests/fixtures/cluster.py's)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.kubectl import ClusterCli

VERSION = "0.1.0"
IMAGES = (
    f"stellars/stellars-operator:{VERSION}",
    f"stellars/stellars-jupyterhub-ds:{VERSION}",
    f"stellars/jupyterlab-slim:{VERSION}",
)


@pytest.fixture
def cluster(kube_config: str) -> ClusterCli:
    return ClusterCli(kubeconfig=Path(kube_config))


@pytest.fixture(scope="session")
def chart_images(load_images: Callable[..., None]) -> tuple[str, ...]:
    """Our images inside the sealed cluster (another cluster must have them already)."""
    load_images(*IMAGES)
    return IMAGES
