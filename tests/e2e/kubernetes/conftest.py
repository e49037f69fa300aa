"""Fixtures for the Kubernetes user stories: the images, and the way in from the host (the
operator, `kube` and `crd` come from tests/fixtures/operator_process.py and stellarshub.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from stellars_operator.kube import Kube
from tests.fixtures.hub_story import HUB_IMAGE, LAB_IMAGE, PublicService


@pytest.fixture(autouse=True)
def under_the_hub_admission_policy(hub_admission_policy: str) -> None:
    """Every story spawns under the chart's admission policy for hubs: KubeSpawner's pods must
    pass it (tests/integration/operator/test_hub_admission.py tries what it refuses)."""


@pytest.fixture(scope="session")
def hub_images(load_images: Callable[..., None]) -> None:
    """The hub and lab images, imported into the cluster's containerd once per session."""
    load_images(HUB_IMAGE, LAB_IMAGE)


@pytest.fixture
def public_service(kube: Kube, kube_config: str) -> Iterator[Callable[[str, str], PublicService]]:
    opened: list[PublicService] = []

    def open_(namespace: str, service: str) -> PublicService:
        opened.append(PublicService(kube, kube_config, namespace, service))
        return opened[-1]

    yield open_
    for service in opened:
        service.close()
