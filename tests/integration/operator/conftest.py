"""Fixtures for the operator against a real API server (tests/fixtures/cluster.py gives
`kube_config` and a fresh `namespace` per test)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from kubernetes import client

from stellars_operator.kube import Kube, resource_path
from tests.integration.operator.operator_process import OperatorProcess

REPO = Path(__file__).resolve().parents[3]
CRD_PATH = REPO / "crds" / "stellarshub.yaml"
HUBS = ("stellars.io/v1alpha1", "StellarsHub")
T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None], *, timeout: float = 60, interval: float = 0.5, what: str = ""
) -> T:
    """Poll until `probe` returns something truthy; fail with `what` when time runs out."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what or probe} (last: {last!r})")


def wait_for_event(
    kube: Kube, namespace: str, *, reason: str, name: str | None = None
) -> dict[str, Any]:
    """The first event of a StellarsHub (named `name`, if given) with `reason`. kopf posts
    events from a background queue, so one may land after the status it goes with."""

    def find() -> dict[str, Any] | None:
        for event in kube.list(f"/api/v1/namespaces/{namespace}/events"):
            involved = event["involvedObject"]
            if involved.get("kind") != "StellarsHub" or event["reason"] != reason:
                continue
            if name is None or involved.get("name") == name:
                return dict(event)
        return None

    return wait_for(find, what=f"a {reason} event of StellarsHub {name or '(any)'}")


@pytest.fixture(scope="session")
def kube(kube_api: client.ApiClient) -> Kube:
    """The operator's own dict-based client, on the harness's ApiClient."""
    return Kube(kube_api)


@pytest.fixture(scope="session")
def crd(kube: Kube) -> dict[str, Any]:
    """The CRD from crds/stellarshub.yaml, server-side applied and Established."""
    manifest = yaml.safe_load(CRD_PATH.read_text())
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{manifest['metadata']['name']}"
    kube.request(
        "PATCH",
        path,
        query={"fieldManager": "stellars-tests", "force": "true"},
        body=manifest,
        content_type="application/apply-patch+yaml",
    )

    def established() -> dict[str, Any] | None:
        served = kube.get(path) or {}
        conditions = (served.get("status") or {}).get("conditions") or []
        ok = any(c["type"] == "Established" and c["status"] == "True" for c in conditions)
        return served if ok else None

    return wait_for(established, timeout=60, what="CRD Established")


def _delete_hubs(kube: Kube, namespace: str, operator: OperatorProcess | None) -> None:
    """Delete the namespace's hubs while the operator runs, so finalizers never strand them."""
    collection = resource_path(*HUBS, namespace=namespace)
    for hub in kube.list(collection):
        kube.delete(resource_path(*HUBS, namespace=namespace, name=hub["metadata"]["name"]))
    deadline = time.monotonic() + 30
    while kube.list(collection) and time.monotonic() < deadline:
        time.sleep(0.5)
    for hub in kube.list(collection):  # operator gone or stuck: release them by hand
        path = resource_path(*HUBS, namespace=namespace, name=hub["metadata"]["name"])
        kube.merge_patch(path, {"metadata": {"finalizers": None}})


@pytest.fixture
def operator(
    kube_config: str, namespace: str, crd: dict[str, Any], kube: Kube, tmp_path: Path
) -> Iterator[OperatorProcess]:
    """The operator watching the test's namespace; its log is printed when a test fails."""
    process = OperatorProcess(
        kube_config=str(kube_config), namespace=namespace, log_path=tmp_path / "operator.log"
    )
    process.start()
    try:
        yield process
    finally:
        _delete_hubs(kube, namespace, process)
        process.stop()
        print(f"--- operator log ({namespace}) ---\n{process.log_tail(200)}")


def hub_manifest(name: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "stellars.io/v1alpha1",
        "kind": "StellarsHub",
        "metadata": {"name": name},
        "spec": spec or {},
    }


def create_hub(kube: Kube, namespace: str, name: str, spec: dict[str, Any] | None = None) -> Any:
    manifest = hub_manifest(name, spec)
    manifest["metadata"]["namespace"] = namespace
    return kube.request("POST", resource_path(*HUBS, namespace=namespace), body=manifest)


def get_hub(kube: Kube, namespace: str, name: str) -> dict[str, Any] | None:
    return kube.get(resource_path(*HUBS, namespace=namespace, name=name))


def conditions_of(hub: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (hub.get("status") or {}).get("conditions") or []}


def wait_for_status(
    kube: Kube,
    namespace: str,
    name: str,
    check: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 60,
    what: str = "",
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        hub = get_hub(kube, namespace, name)
        return hub if hub and check(hub) else None

    return wait_for(probe, timeout=timeout, what=what or f"status of {namespace}/{name}")
