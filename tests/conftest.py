"""Test-suite root: tiers share only tests/fixtures/, whose fixture modules are plugins here."""

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.egress_guard",
    "tests.fixtures.docker",
    "tests.fixtures.gpu_engine",
    "tests.fixtures.cluster",
    "tests.fixtures.stellarshub",
    "tests.fixtures.chart_objects",
    "tests.fixtures.operator_process",
    "tests.fixtures.fault_report",
    "tests.fixtures.fault_hub",
    "tests.fixtures.api_server",
]


# `make test` runs the system tiers in two pytest-xdist workers (tests/run-system-tests.sh): one
# for the Docker engine, one for the cluster, so each worker's tests keep the order and the
# sharing they were written for. The benchmark smoke rides with the Docker group to even out
# the two; it starts its hubs in namespaces of its own.
_DOCKER_GROUP = (
    "tests/e2e/compose",
    "tests/e2e/images",
    "tests/e2e/network",
    "tests/browser",
    "tests/faults/compose",
    "tests/bench",
)
_ROOT = Path(__file__).resolve().parent.parent


# First: xdist reads the group marks in its own hook of the same name.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path)).resolve().relative_to(_ROOT).as_posix()
        group = "docker" if path.startswith(_DOCKER_GROUP) else "cluster"
        item.add_marker(pytest.mark.xdist_group(group))
