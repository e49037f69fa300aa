"""apply.py: everything applied; only this hub's stale children pruned, never PVCs or users'."""

from __future__ import annotations

from typing import Any

from stellars_operator.apply import apply_children, prune_children
from stellars_operator.labels import standard_labels
from stellars_operator.render.metadata import owner_reference
from tests.unit.operator.conftest import make_hub
from tests.unit.operator.fake_kube import FakeKube

HUB = make_hub()


def child(
    kind: str, name: str, *, api: str = "v1", component: str = "hub", owner: Any = HUB
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "team",
        "labels": standard_labels(owner.name, component),  # type: ignore[arg-type]
        "ownerReferences": [owner_reference(owner)],
    }
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def test_apply_children_applies_each() -> None:
    kube = FakeKube()
    apply_children(kube, [child("ConfigMap", "demo-config"), child("Secret", "demo-secrets")])
    assert kube.applied() == [
        "/api/v1/namespaces/team/configmaps/demo-config",
        "/api/v1/namespaces/team/secrets/demo-secrets",
    ]


def test_prune_removes_children_the_spec_no_longer_wants() -> None:
    ingress = child("Ingress", "demo", api="networking.k8s.io/v1", component="proxy")
    config = child("ConfigMap", "demo-config")
    kube = FakeKube(ingress, config)
    removed = prune_children(kube, HUB, [config])
    assert removed == ["Ingress/demo"]
    assert kube.deleted() == ["/apis/networking.k8s.io/v1/namespaces/team/ingresses/demo"]


def test_prune_keeps_pvcs_user_objects_and_other_hubs() -> None:
    other = make_hub(name="other")
    kube = FakeKube(
        child("PersistentVolumeClaim", "demo-hub-data"),
        child("PersistentVolumeClaim", "demo-alice-home", component="singleuser"),
        child("Pod", "demo-jupyter-alice", component="singleuser"),
        child("Service", "demo-jupyter-alice", component="singleuser"),
        child("ConfigMap", "other-config", owner=other),
    )
    assert prune_children(kube, HUB, []) == []
    assert kube.deleted() == []


def test_prune_skips_objects_labelled_like_ours_but_owned_by_another_object() -> None:
    foreign = child("ConfigMap", "demo-extra")
    foreign["metadata"]["ownerReferences"] = [{**owner_reference(HUB), "uid": "someone-else"}]
    kube = FakeKube(foreign)
    assert prune_children(kube, HUB, []) == []


def test_a_child_that_holds_its_manifest_is_not_applied_again() -> None:
    kube = FakeKube()
    desired = [child("ConfigMap", "demo-config"), child("Secret", "demo-secrets")]
    apply_children(kube, desired)
    applied = len(kube.applied())
    assert apply_children(kube, desired) == []
    assert len(kube.applied()) == applied


def test_only_the_child_that_differs_is_applied() -> None:
    kube = FakeKube()
    config = child("ConfigMap", "demo-config")
    apply_children(kube, [config, child("Secret", "demo-secrets")])
    edited = "/api/v1/namespaces/team/configmaps/demo-config"
    kube.objects[edited]["metadata"]["labels"]["app.kubernetes.io/instance"] = "someone-else"
    before = len(kube.calls)
    apply_children(kube, [config, child("Secret", "demo-secrets")])
    assert [path for verb, path in kube.calls[before:] if verb == "APPLY"] == [edited]
