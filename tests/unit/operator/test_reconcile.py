"""reconcile.py: one pass end to end against an in-memory API."""

from __future__ import annotations

import base64
import json
from typing import Any

from stellars_operator.placement import ALLOW_OPERATOR_NAMESPACE
from stellars_operator.reconcile import patch_status, reconcile, refresh_gpu
from stellars_operator.settings import OperatorSettings
from stellars_operator.spec import parse_hub
from stellars_operator.status import gpu_status
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
    assert len(kube.applied()) == 15  # no Role: the hub is bound to a ClusterRole
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
    hub = parse_hub(body({"gpu": {"mode": "auto"}}))
    current = body(
        {"gpu": {"mode": "auto"}}, {**hubs["auto"]["status"], "gpu": gpu_status(hub, decision)}
    )
    before = len(kube.calls)
    assert refresh_gpu(kube, current, nodes=nodes, now=NOW) is None
    assert kube.calls[before:] == []


HUB_DATA_PATH = "/api/v1/namespaces/team/persistentvolumeclaims/demo-hub-data"


def _with_bound_hub_data(kube: FakeKube) -> None:
    kube.objects[HUB_DATA_PATH]["status"] = {"phase": "Bound"}


def test_a_lost_secret_is_not_minted_anew_over_the_hubs_data() -> None:
    kube = FakeKube()
    reconcile(kube, body(), nodes=[], now=NOW)
    _with_bound_hub_data(kube)
    del kube.objects[SECRET_PATH]
    before = len(kube.applied())

    outcome = reconcile(kube, body(), nodes=[], now=NOW)

    assert outcome.status["phase"] == "Degraded"
    assert outcome.apply_error is not None
    assert "lacks admin-password, cookie-secret, proxy-token while the hub's data volume" in (
        outcome.apply_error
    )
    assert SECRET_PATH not in kube.objects
    assert len(kube.applied()) == before


def test_an_emptied_key_is_not_minted_anew_over_the_hubs_data() -> None:
    kube = FakeKube()
    reconcile(kube, body(), nodes=[], now=NOW)
    _with_bound_hub_data(kube)
    kube.objects[SECRET_PATH]["data"]["proxy-token"] = ""

    outcome = reconcile(kube, body(), nodes=[], now=NOW)

    assert outcome.apply_error is not None and "lacks proxy-token" in outcome.apply_error
    assert kube.objects[SECRET_PATH]["data"]["proxy-token"] == ""


def test_a_secret_that_is_not_text_is_degraded_not_raised() -> None:
    kube = FakeKube()
    reconcile(kube, body(), nodes=[], now=NOW)
    kube.objects[SECRET_PATH]["data"]["cookie-secret"] = base64.b64encode(b"\xff\xfe").decode()

    outcome = reconcile(kube, body(), nodes=[], now=NOW)

    assert outcome.status["phase"] == "Degraded"
    assert outcome.apply_error is not None
    assert "key 'cookie-secret' is not UTF-8 text" in outcome.apply_error


def test_a_changed_secret_rolls_the_hub_and_the_proxy_together() -> None:
    kube = FakeKube()
    reconcile(kube, body(), nodes=[], now=NOW)
    deployments = {
        name: f"/apis/apps/v1/namespaces/team/deployments/{name}"
        for name in ("demo-hub", "demo-proxy")
    }

    def hashes() -> dict[str, str]:
        return {
            name: kube.objects[path]["spec"]["template"]["metadata"]["annotations"][
                "stellars.io/secrets-hash"
            ]
            for name, path in deployments.items()
        }

    first = hashes()
    assert first["demo-hub"] == first["demo-proxy"]
    kube.objects[SECRET_PATH]["data"]["proxy-token"] = base64.b64encode(b"t" * 64).decode()

    reconcile(kube, body(), nodes=[], now=NOW)

    second = hashes()
    assert second["demo-hub"] == second["demo-proxy"] != first["demo-hub"]


def test_a_hub_in_the_operators_namespace_is_degraded_and_nothing_applied() -> None:
    kube = FakeKube()
    outcome = reconcile(
        kube, body(), nodes=[], now=NOW, settings=OperatorSettings(namespace="team")
    )
    assert outcome.status["phase"] == "Degraded"
    assert [p.field for p in outcome.problems] == ["metadata.namespace"]
    assert "team is the operator's own namespace" in str(outcome.problems[0])
    assert kube.applied() == []


def test_the_admin_may_allow_one_hub_in_the_operators_namespace() -> None:
    allowed = body()
    allowed["metadata"]["annotations"] = {ALLOW_OPERATOR_NAMESPACE: "true"}
    outcome = reconcile(
        FakeKube(), allowed, nodes=[], now=NOW, settings=OperatorSettings(namespace="team")
    )
    assert outcome.problems == ()
    elsewhere = reconcile(
        FakeKube(), body(), nodes=[], now=NOW, settings=OperatorSettings(namespace="ops")
    )
    assert elsewhere.problems == ()


def test_the_operators_settings_come_from_its_environment() -> None:
    settings = OperatorSettings.from_environment(
        {"POD_NAMESPACE": "ops", "STELLARS_HUB_CLUSTER_ROLE": "r1-stellars-jupyterhub-hub"}
    )
    assert settings == OperatorSettings("ops", "r1-stellars-jupyterhub-hub")
    assert OperatorSettings.from_environment({}) == OperatorSettings("", "stellars-jupyterhub-hub")


def test_the_hub_is_bound_to_the_cluster_role_the_operator_was_given() -> None:
    kube = FakeKube()
    reconcile(kube, body(), nodes=[], now=NOW, settings=OperatorSettings(hub_cluster_role="r1-hub"))
    binding = kube.objects[
        "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/demo-hub"
    ]
    assert binding["roleRef"]["name"] == "r1-hub"
    assert not any("/roles/" in path for path in kube.objects)
