"""reconcile.py: one pass end to end against an in-memory API."""

from __future__ import annotations

import base64
import json
from typing import Any

from stellars_operator.reconcile import patch_status, reconcile, refresh_gpu
from tests.unit.operator.conftest import load_nodes
from tests.unit.operator.fake_kube import FakeKube

NOW = "2026-01-01T00:00:00Z"
SECRET_PATH = "/api/v1/namespaces/team/secrets/demo-secrets"


def body(
    spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "stellars.io/v1alpha1",
        "kind": "StellarsHub",
        "metadata": {"name": "demo", "namespace": "team", "uid": "u1", "generation": 1},
        "spec": spec or {},
        "status": status or {},
    }


def _conditions(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def test_first_pass_applies_every_child_and_reports_progressing() -> None:
    kube = FakeKube()
    outcome = reconcile(kube, body(), nodes=[], now=NOW)
    assert outcome.problems == ()
    assert outcome.status["phase"] == "Progressing"  # Deployments exist; none reports Available
    assert len(kube.applied()) == 16
    assert _conditions(outcome.status)["Degraded"] == ("False", "AsExpected")


def test_secrets_are_generated_once_and_kept() -> None:
    kube = FakeKube()
    reconcile(kube, body(), nodes=[], now=NOW)
    first = kube.objects[SECRET_PATH]["data"]
    reconcile(kube, body(), nodes=[], now=NOW)
    assert kube.objects[SECRET_PATH]["data"] == first
    assert len(base64.b64decode(first["cookie-secret"])) == 64


def test_second_pass_with_the_same_status_changes_nothing_in_the_status() -> None:
    kube = FakeKube()
    first = reconcile(kube, body(), nodes=[], now=NOW)
    second = reconcile(kube, body(status=first.status), nodes=[], now="2026-02-02T00:00:00Z")
    assert second.status == first.status


def test_missing_password_secret_is_degraded_naming_the_field_and_applies_nothing() -> None:
    kube = FakeKube()
    spec = {"admin": {"passwordSecretRef": {"name": "nope"}}}
    outcome = reconcile(kube, body(spec), nodes=[], now=NOW)
    assert outcome.status["phase"] == "Degraded"
    assert [p.field for p in outcome.problems] == ["spec.admin.passwordSecretRef.name"]
    degraded = next(c for c in outcome.status["conditions"] if c["type"] == "Degraded")
    assert degraded["message"].startswith("spec.admin.passwordSecretRef.name: Secret team/nope")
    assert kube.applied() == []


def test_password_secret_without_the_key() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "pw", "namespace": "team"},
        "data": {"other": "eA=="},
    }
    spec = {"admin": {"passwordSecretRef": {"name": "pw"}}}
    outcome = reconcile(FakeKube(secret), body(spec), nodes=[], now=NOW)
    assert [p.field for p in outcome.problems] == ["spec.admin.passwordSecretRef.key"]


def test_missing_storage_classes_and_claim_name_their_fields() -> None:
    spec = {
        "storage": {
            "storageClass": "fast",
            "shared": {"enabled": True, "existingClaim": "gone"},
        }
    }
    outcome = reconcile(FakeKube(), body(spec), nodes=[], now=NOW)
    assert [p.field for p in outcome.problems] == [
        "spec.storage.storageClass",
        "spec.storage.shared.existingClaim",
    ]


def test_existing_storage_class_passes() -> None:
    cls = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"}}
    outcome = reconcile(
        FakeKube(cls), body({"storage": {"storageClass": "fast"}}), nodes=[], now=NOW
    )
    assert outcome.problems == ()


def test_semantic_error_without_the_api() -> None:
    spec = {"resources": {"user": {"requests": {"memory": "8Gi"}, "limits": {"memory": "1Gi"}}}}
    kube = FakeKube()
    outcome = reconcile(kube, body(spec), nodes=[], now=NOW)
    assert [p.field for p in outcome.problems] == ["spec.resources.user.requests.memory"]
    assert kube.applied() == []


def test_unreadable_spec_is_degraded_not_raised() -> None:
    outcome = reconcile(FakeKube(), body({"gpu": {"mode": 3}}), nodes=[], now=NOW)
    assert outcome.status["phase"] == "Degraded"
    assert outcome.problems[0].field == "spec.gpu.mode"


def test_api_failure_is_degraded_not_raised() -> None:
    outcome = reconcile(FakeKube(fail_apply=403), body(), nodes=[], now=NOW)
    assert outcome.status["phase"] == "Degraded"
    assert outcome.apply_error is not None and "403" in outcome.apply_error
    assert _conditions(outcome.status)["Degraded"] == ("True", "ApplyFailed")


def test_turning_ingress_off_prunes_it() -> None:
    kube = FakeKube()
    with_ingress = {"exposure": {"ingress": {"enabled": True, "host": "h.example.com"}}}
    reconcile(kube, body(with_ingress), nodes=[], now=NOW)
    ingress = "/apis/networking.k8s.io/v1/namespaces/team/ingresses/demo"
    # FakeKube keeps the applied manifest, owner reference included, as the API server would
    assert ingress in kube.objects
    outcome = reconcile(kube, body(), nodes=[], now=NOW)
    assert outcome.pruned == ["Ingress/demo"]
    assert ingress not in kube.objects


def test_gpu_decision_reaches_the_gpu_configmap() -> None:
    kube = FakeKube()
    outcome = reconcile(kube, body(), nodes=load_nodes("gfd-labelled"), now=NOW)
    gpu = kube.objects["/api/v1/namespaces/team/configmaps/demo-gpu"]
    assert json.loads(gpu["data"]["gpu.json"])["resource"] == "nvidia.com/gpu"
    assert _conditions(outcome.status)["GPUAvailable"] == ("True", "GpuResourceFound")


def test_refresh_gpu_only_when_the_decision_changes() -> None:
    kube = FakeKube()
    first = reconcile(kube, body(), nodes=[], now=NOW)
    current = body(status=first.status)
    assert refresh_gpu(kube, current, nodes=[], now=NOW) is None
    calls_before = len(kube.calls)
    decision = refresh_gpu(kube, current, nodes=load_nodes("gfd-labelled"), now=NOW)
    assert decision is not None and decision.enabled
    new_calls = kube.calls[calls_before:]
    assert new_calls == [
        ("APPLY", "/api/v1/namespaces/team/configmaps/demo-gpu"),
        ("PATCH", "/apis/stellars.io/v1alpha1/namespaces/team/stellarshubs/demo/status"),
    ]


def test_refresh_gpu_ignores_mode_off_and_invalid_hubs() -> None:
    kube = FakeKube()
    nodes = load_nodes("gfd-labelled")
    assert refresh_gpu(kube, body({"gpu": {"mode": "off"}}), nodes=nodes, now=NOW) is None
    assert refresh_gpu(kube, body({"gpu": {"mode": 1}}), nodes=nodes, now=NOW) is None
    assert kube.calls == []


def test_patch_status_writes_only_what_changed() -> None:
    kube = FakeKube()
    current = body(status={"phase": "Progressing", "url": "u"})
    assert patch_status(kube, current, {"phase": "Progressing", "url": "u"}) == {}
    assert kube.calls == []
    assert patch_status(kube, current, {"phase": "Ready", "url": "u"}) == {"phase": "Ready"}
    assert kube.calls == [
        ("PATCH", "/apis/stellars.io/v1alpha1/namespaces/team/stellarshubs/demo/status")
    ]


def test_a_pass_over_a_hub_that_holds_its_state_writes_nothing() -> None:
    kube = FakeKube()
    first = reconcile(kube, body(), nodes=[], now=NOW)
    before = len(kube.calls)
    second = reconcile(kube, body(status=first.status), nodes=[], now=NOW)
    assert patch_status(kube, body(status=first.status), second.status) == {}
    writes = [call for call in kube.calls[before:] if call[0] in ("APPLY", "PATCH", "DELETE")]
    assert writes == []


def test_a_node_change_touches_only_the_hubs_whose_decision_changes() -> None:
    kube = FakeKube()
    hubs = {
        mode: body({"gpu": {"mode": mode}}, reconcile(kube, body(), nodes=[], now=NOW).status)
        for mode in ("auto", "off")
    }
    nodes = load_nodes("gfd-labelled")
    assert refresh_gpu(kube, hubs["off"], nodes=nodes, now=NOW) is None
    decision = refresh_gpu(kube, hubs["auto"], nodes=nodes, now=NOW)
    assert decision is not None and decision.enabled
    # the same nodes again (a heartbeat, a label nobody reads): no write for anyone
    current = body(
        {"gpu": {"mode": "auto"}}, {**hubs["auto"]["status"], "gpu": decision.to_status()}
    )
    before = len(kube.calls)
    assert refresh_gpu(kube, current, nodes=nodes, now=NOW) is None
    assert kube.calls[before:] == []
