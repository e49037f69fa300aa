"""What the schema cannot catch becomes Degraded naming the field; other hubs keep being served."""

from __future__ import annotations

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.stellarshub import (
    conditions_of,
    create_hub,
    wait_for_event,
    wait_for_status,
)

pytestmark = pytest.mark.cluster


def _degraded_message(hub: dict[str, object]) -> str:
    condition = conditions_of(hub).get("Degraded") or {}
    return str(condition.get("message", "")) if condition.get("status") == "True" else ""


def test_missing_secret_and_storage_class_degrade_only_that_hub(
    operator: OperatorProcess, kube: Kube, namespace: str
) -> None:
    create_hub(
        kube, namespace, "broken", {"admin": {"passwordSecretRef": {"name": "no-such-secret"}}}
    )
    create_hub(kube, namespace, "noclass", {"storage": {"storageClass": "no-such-class"}})
    create_hub(kube, namespace, "good")

    broken = wait_for_status(kube, namespace, "broken", lambda h: bool(_degraded_message(h)))
    assert broken["status"]["phase"] == "Degraded"
    assert conditions_of(broken)["Degraded"]["reason"] == "InvalidSpec"
    assert _degraded_message(broken).startswith("spec.admin.passwordSecretRef.name:")
    noclass = wait_for_status(kube, namespace, "noclass", lambda h: bool(_degraded_message(h)))
    assert "spec.storage.storageClass: StorageClass no-such-class does not exist" in (
        _degraded_message(noclass)
    )
    good = wait_for_status(
        kube,
        namespace,
        "good",
        lambda h: h.get("status", {}).get("phase") in ("Progressing", "Ready"),
    )
    assert conditions_of(good)["Degraded"]["status"] == "False"
    # nothing was applied for the broken hub
    path = resource_path("apps/v1", "Deployment", namespace=namespace, name="broken-hub")
    assert kube.get(path) is None
    wait_for_event(kube, namespace, reason="InvalidSpec", name="broken")

    # fixing what was missing is picked up without touching the spec (periodic resync)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "no-such-secret", "namespace": namespace},
        "stringData": {"password": "s3cret-enough"},
    }
    kube.request("POST", resource_path("v1", "Secret", namespace=namespace), body=secret)
    fixed = wait_for_status(
        kube,
        namespace,
        "broken",
        lambda h: h.get("status", {}).get("phase") in ("Progressing", "Ready"),
        timeout=60,
    )
    assert conditions_of(fixed)["Degraded"]["status"] == "False"
    assert kube.get(path) is not None
    assert operator.process is not None and operator.process.poll() is None


def test_a_size_that_passes_the_schema_but_no_claim_can_have_is_degraded(
    operator: OperatorProcess, kube: Kube, namespace: str
) -> None:
    # Tried as a new user would: `home: "0"` passes the schema, and used to give a Ready hub whose
    # every spawn failed.
    create_hub(kube, namespace, "zero", {"storage": {"home": "0"}})

    hub = wait_for_status(kube, namespace, "zero", lambda h: bool(_degraded_message(h)))

    assert conditions_of(hub)["Degraded"]["reason"] == "InvalidSpec"
    assert _degraded_message(hub) == "spec.storage.home: must be more than 0 (is 0)"
    path = resource_path("apps/v1", "Deployment", namespace=namespace, name="zero-hub")
    assert kube.get(path) is None
