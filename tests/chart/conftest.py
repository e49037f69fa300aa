"""Fixtures of the chart's unit tests: the pinned tools and the offline Kubernetes schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart import kube_schemas
from tests.fixtures.binaries import pinned_binary
from tests.fixtures.paths import CHART


@pytest.fixture(scope="session")
def helm() -> Path:
    """Helm v3, the reference."""
    return pinned_binary("helm")


@pytest.fixture(scope="session")
def helm4() -> Path:
    return pinned_binary("helm4")


@pytest.fixture(scope="session")
def kubeconform() -> Path:
    return pinned_binary("kubeconform")


@pytest.fixture(scope="session")
def kube_schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kubeconform schemas for Kubernetes 1.33's stable kinds and the chart's CRD."""
    out = tmp_path_factory.mktemp("kube-schemas")
    kube_schemas.write_schemas(out, crd_files=sorted((CHART / "crds").glob("*.yaml")))
    return out
