"""apply.py: everything applied, policies first, each child on its own, nothing foreign adopted,
claims created once; only this hub's stale children pruned, never PVCs or users'."""

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
    apply_children(kube, HUB, [child("ConfigMap", "demo-config"), child("Secret", "demo-secrets")])
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
    apply_children(kube, HUB, desired)
    applied = len(kube.applied())
    assert apply_children(kube, HUB, desired).applied == []
    assert len(kube.applied()) == applied


def test_only_the_child_that_differs_is_applied() -> None:
    kube = FakeKube()
    config = child("ConfigMap", "demo-config")
    apply_children(kube, HUB, [config, child("Secret", "demo-secrets")])
    edited = "/api/v1/namespaces/team/configmaps/demo-config"
    kube.objects[edited]["metadata"]["labels"]["app.kubernetes.io/instance"] = "someone-else"
    before = len(kube.calls)
    apply_children(kube, HUB, [config, child("Secret", "demo-secrets")])
    assert [path for verb, path in kube.calls[before:] if verb == "APPLY"] == [edited]


def test_network_policies_are_applied_before_everything_else() -> None:
    kube = FakeKube()
    deployment = child("Deployment", "demo-hub", api="apps/v1")
    policy = child("NetworkPolicy", "demo-singleuser", api="networking.k8s.io/v1")
    apply_children(kube, HUB, [deployment, policy])
    assert [path.rsplit("/", 2)[1] for path in kube.applied()] == [
        "networkpolicies",
        "deployments",
    ]


def test_a_refused_child_is_reported_and_the_others_are_applied() -> None:
    kube = FakeKube(refuse={"Ingress": 400})
    ingress = child("Ingress", "demo", api="networking.k8s.io/v1", component="proxy")
    policy = child("NetworkPolicy", "demo-singleuser", api="networking.k8s.io/v1")
    report = apply_children(kube, HUB, [ingress, child("ConfigMap", "demo-config"), policy])
    assert report.failures == ["Ingress demo: API 400 Refused: denied"]
    assert "/api/v1/namespaces/team/configmaps/demo-config" in kube.objects
    assert "/apis/networking.k8s.io/v1/namespaces/team/networkpolicies/demo-singleuser" in (
        kube.objects
    )


def test_an_object_of_a_childs_name_that_this_hub_does_not_manage_is_never_taken_over() -> None:
    foreign: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "demo-hub", "namespace": "team", "labels": {"app": "billing"}},
        "spec": {"ports": [{"port": 80}]},
    }
    kube = FakeKube(foreign)
    report = apply_children(kube, HUB, [child("Service", "demo-hub"), child("ConfigMap", "x")])
    assert report.failures == ["Service demo-hub exists and is not managed by this hub"]
    assert kube.objects["/api/v1/namespaces/team/services/demo-hub"] == foreign
    assert kube.applied() == ["/api/v1/namespaces/team/configmaps/x"]


def test_an_unowned_claim_labelled_as_this_hubs_is_kept_as_it_is() -> None:
    claim = child("PersistentVolumeClaim", "demo-shared")
    del claim["metadata"]["ownerReferences"]  # the shared claim outlives its hub
    claim["spec"] = {"resources": {"requests": {"storage": "10Gi"}}}
    kube = FakeKube(claim)
    wanted = child("PersistentVolumeClaim", "demo-shared")
    wanted["spec"] = {"resources": {"requests": {"storage": "20Gi"}}}
    report = apply_children(kube, HUB, [wanted])
    assert report.failures == [] and report.applied == []
    assert kube.applied() == []


def test_a_binding_whose_role_changed_is_replaced() -> None:
    # An older operator bound a Role; roleRef cannot change in place.
    old = child("RoleBinding", "demo-hub", api="rbac.authorization.k8s.io/v1")
    old["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "demo-hub"}
    kube = FakeKube(old)
    new = child("RoleBinding", "demo-hub", api="rbac.authorization.k8s.io/v1")
    new["roleRef"] = {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "stellars-jupyterhub-hub",
    }
    report = apply_children(kube, HUB, [new])
    path = "/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings/demo-hub"
    assert report.failures == []
    assert kube.deleted() == [path] and kube.applied() == [path]
    assert kube.objects[path]["roleRef"]["kind"] == "ClusterRole"


def test_the_role_of_an_older_operator_is_pruned_and_the_secret_never() -> None:
    role = child("Role", "demo-hub", api="rbac.authorization.k8s.io/v1")
    secret = child("Secret", "demo-secrets")
    kube = FakeKube(role, secret)
    assert prune_children(kube, HUB, []) == ["Role/demo-hub"]
    assert "/api/v1/namespaces/team/secrets/demo-secrets" in kube.objects
