"""A hub's life on a real API server: create, update, ingress off, operator restart, delete."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from stellars_operator.kube import Kube, resource_path
from stellars_operator.status import FIRST_START_NOTE
from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import (
    HUBS,
    conditions_of,
    create_hub,
    get_hub,
    wait_for_event,
    wait_for_status,
)

pytestmark = pytest.mark.cluster

# (apiVersion, kind, name) of every child of hub "demo" with an empty spec.
CHILDREN = [
    ("v1", "ServiceAccount", "demo-hub"),
    ("v1", "ServiceAccount", "demo-user"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "demo-hub"),
    ("v1", "Secret", "demo-secrets"),
    ("v1", "ConfigMap", "demo-config"),
    ("v1", "ConfigMap", "demo-gpu"),
    ("v1", "PersistentVolumeClaim", "demo-hub-data"),
    ("apps/v1", "Deployment", "demo-hub"),
    ("v1", "Service", "demo-hub"),
    ("apps/v1", "Deployment", "demo-proxy"),
    ("v1", "Service", "demo-proxy-api"),
    ("v1", "Service", "demo-proxy-public"),
    ("networking.k8s.io/v1", "NetworkPolicy", "demo-hub"),
    ("networking.k8s.io/v1", "NetworkPolicy", "demo-proxy"),
    ("networking.k8s.io/v1", "NetworkPolicy", "demo-singleuser"),
]
# The account database and its Secret outlive the hub, as the users' volumes stamped with its
# accounts do (unless deleteUserDataOnHubDelete): no owner, so garbage collection keeps them.
KEPT = {("v1", "Secret", "demo-secrets"), ("v1", "PersistentVolumeClaim", "demo-hub-data")}
INGRESS = ("networking.k8s.io/v1", "Ingress", "demo")
WITH_INGRESS = {"exposure": {"ingress": {"enabled": True, "host": "demo.example.com"}}}


def child(kube: Kube, namespace: str, key: tuple[str, str, str]) -> dict[str, Any] | None:
    api_version, kind, name = key
    return kube.get(resource_path(api_version, kind, namespace=namespace, name=name))


def all_children(kube: Kube, namespace: str, keys: list[tuple[str, str, str]]) -> dict[Any, Any]:
    found = {key: child(kube, namespace, key) for key in keys}
    return found if all(found.values()) else {}


def has_phase(*phases: str) -> Any:
    return lambda hub: (hub.get("status") or {}).get("phase") in phases


def nodes_ready(kube: Kube) -> bool:
    for node in kube.list("/api/v1/nodes"):
        for condition in node.get("status", {}).get("conditions") or []:
            if condition["type"] == "Ready" and condition["status"] == "True":
                return True
    return False


def config_hash(kube: Kube, namespace: str) -> str:
    deployment = child(kube, namespace, ("apps/v1", "Deployment", "demo-hub")) or {}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    value: str = annotations["stellars.io/config-hash"]
    return value


def test_create_renders_every_child_owned_and_labelled(
    operator: OperatorProcess, kube: Kube, namespace: str
) -> None:
    created = create_hub(kube, namespace, "demo")
    children = wait_for(lambda: all_children(kube, namespace, CHILDREN), what="every child")
    for key, obj in children.items():
        meta = obj["metadata"]
        labels = meta["labels"]
        assert labels["app.kubernetes.io/instance"] == "demo", key
        assert labels["app.kubernetes.io/managed-by"] == "stellars-operator", key
        assert labels["app.kubernetes.io/name"] == "stellars-jupyterhub", key
        assert labels["app.kubernetes.io/part-of"] == "stellars-jupyterhub-ds", key
        if key in KEPT:
            assert "ownerReferences" not in meta, key
        else:
            (owner,) = meta["ownerReferences"]
            assert owner["uid"] == created["metadata"]["uid"], key
            assert owner["controller"] is True and owner["blockOwnerDeletion"] is True
        managers = {m["manager"] for m in meta.get("managedFields") or []}
        assert "stellars-operator" in managers, key

    hub = wait_for_status(kube, namespace, "demo", has_phase("Progressing", "Ready"))
    status = hub["status"]
    assert status["observedGeneration"] == created["metadata"]["generation"]
    assert status["url"] == f"http://demo-proxy-public.{namespace}.svc/jupyterhub/"
    assert status["adminPassword"] == {
        "secretName": "demo-secrets",
        "key": "admin-password",
        "note": FIRST_START_NOTE,
    }
    conditions = conditions_of(hub)
    assert conditions["Degraded"]["status"] == "False"
    assert conditions["Degraded"]["reason"] == "AsExpected"
    assert conditions["GPUAvailable"]["status"] in ("True", "False")
    if not nodes_ready(kube):
        # control plane only: nothing runs, so the hub Deployment never becomes available
        assert status["phase"] == "Progressing"
        assert conditions["Ready"]["status"] == "False"
        assert conditions["Ready"]["reason"] == "HubNotAvailable"
        assert conditions["Progressing"]["status"] == "True"
        assert conditions["Progressing"]["reason"] == "RollingOut"
        assert "demo-hub: 0/1 available" in conditions["Ready"]["message"]
    for condition in conditions.values():
        assert condition["lastTransitionTime"]
    applied = wait_for_event(kube, namespace, reason="Applied", name="demo")
    assert applied["message"].startswith("phase ")


def test_update_changes_children_and_rolls_the_hub(
    operator: OperatorProcess, kube: Kube, namespace: str
) -> None:
    create_hub(kube, namespace, "demo")
    wait_for(lambda: all_children(kube, namespace, CHILDREN), what="every child")
    before = config_hash(kube, namespace)
    generation = child(kube, namespace, ("apps/v1", "Deployment", "demo-hub"))["metadata"][  # type: ignore[index]
        "generation"
    ]
    kube.merge_patch(
        resource_path(*HUBS, namespace=namespace, name="demo"),
        {"spec": {"notebookImage": "stellars/jupyterlab-slim:9.9.9", "storage": {"home": "3Gi"}}},
    )
    wait_for(lambda: config_hash(kube, namespace) != before, what="a new config hash")
    config = child(kube, namespace, ("v1", "ConfigMap", "demo-config")) or {}
    assert "stellars/jupyterlab-slim:9.9.9" in config["data"]["settings.json"]
    assert '"home": "3Gi"' in config["data"]["settings.json"]
    deployment = child(kube, namespace, ("apps/v1", "Deployment", "demo-hub")) or {}
    assert deployment["metadata"]["generation"] > generation
    wait_for_status(
        kube,
        namespace,
        "demo",
        lambda hub: hub["status"].get("observedGeneration") == hub["metadata"]["generation"],
        what="observedGeneration to follow the update",
    )


def test_turning_ingress_off_prunes_it(
    operator: OperatorProcess, kube: Kube, namespace: str
) -> None:
    create_hub(kube, namespace, "demo", WITH_INGRESS)
    ingress = wait_for(lambda: child(kube, namespace, INGRESS), what="the Ingress")
    assert ingress["spec"]["rules"][0]["host"] == "demo.example.com"
    path = resource_path(*HUBS, namespace=namespace, name="demo")
    kube.merge_patch(path, {"spec": {"exposure": {"ingress": {"enabled": False}}}})
    wait_for(lambda: child(kube, namespace, INGRESS) is None or None, what="the Ingress to go")
    # nothing else went with it
    assert all_children(kube, namespace, CHILDREN)


def _snapshot(kube: Kube, namespace: str) -> dict[Any, tuple[str, Any]]:
    """What would show a write by the operator: resourceVersion, or for objects whose status
    controllers update (Deployments, PVCs), the spec generation and the operator's apply time."""
    snapshot = {}
    for key, obj in all_children(kube, namespace, CHILDREN).items():
        meta = obj["metadata"]
        ours = [m for m in meta["managedFields"] if m["manager"] == "stellars-operator"]
        if key[1] in ("Deployment", "PersistentVolumeClaim"):
            snapshot[key] = (
                str(meta.get("generation")),
                [(m["time"], m["fieldsV1"]) for m in ours],
            )
        else:
            snapshot[key] = (meta["resourceVersion"], None)
    return snapshot


def _count_children(kube: Kube, namespace: str) -> int:
    selector = "app.kubernetes.io/instance=demo,app.kubernetes.io/managed-by=stellars-operator"
    kinds = [("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"), ("apps/v1", "Deployment")]
    return sum(
        len(kube.list(resource_path(a, k, namespace=namespace), label_selector=selector))
        for a, k in kinds
    )


def test_restarting_the_operator_changes_nothing(
    operator: OperatorProcess, kube: Kube, namespace: str
) -> None:
    create_hub(kube, namespace, "demo")
    wait_for(lambda: all_children(kube, namespace, CHILDREN), what="every child")
    wait_for_status(kube, namespace, "demo", has_phase("Progressing", "Ready"))
    time.sleep(7)  # past one resync (5s in tests): it must not write either
    before = _snapshot(kube, namespace)
    secret = (child(kube, namespace, ("v1", "Secret", "demo-secrets")) or {})["data"]
    count = _count_children(kube, namespace)

    operator.restart()
    time.sleep(8)  # resume handler + one resync

    assert _snapshot(kube, namespace) == before
    assert (child(kube, namespace, ("v1", "Secret", "demo-secrets")) or {})["data"] == secret
    assert _count_children(kube, namespace) == count
    log = operator.log_text()
    assert log.count("Handler 'ensure' succeeded") == 2  # creation, then resume: once each
    assert "Traceback" not in log


def _user_object(namespace: str, kind: str, name: str, *, hub: str = "demo") -> dict[str, Any]:
    labels = {
        "app.kubernetes.io/name": "stellars-jupyterhub",
        "app.kubernetes.io/instance": hub,
        "app.kubernetes.io/component": "singleuser",
        "app.kubernetes.io/managed-by": "stellars-operator",
        "app.kubernetes.io/part-of": "stellars-jupyterhub-ds",
    }
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
    }
    if kind == "PersistentVolumeClaim":
        obj["spec"] = {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        }
    else:
        obj["spec"] = {
            "containers": [{"name": "lab", "image": "stellars/jupyterlab-slim:0.1.0"}],
            "nodeSelector": {"stellars.io/never": "scheduled"},
        }
    return obj


def _create(kube: Kube, obj: dict[str, Any]) -> None:
    meta = obj["metadata"]
    kube.request("POST", resource_path("v1", obj["kind"], namespace=meta["namespace"]), body=obj)


@pytest.mark.parametrize("delete_data", [False, True], ids=["user-data-kept", "user-data-deleted"])
def test_delete_stops_users_and_collects_children(
    operator: OperatorProcess, kube: Kube, namespace: str, delete_data: bool
) -> None:
    spec = {"storage": {"deleteUserDataOnHubDelete": delete_data}}
    create_hub(kube, namespace, "demo", spec)
    wait_for(lambda: all_children(kube, namespace, CHILDREN), what="every child")
    # This hub's claims under the current and the older naming; another hub's claims, one of
    # them under the old name that starts like this hub's (`demo-ml` + `alice`).
    own_claims = ("demo--ml-alice-home", "demo-bob-home")
    other_hubs_claims = ("demo-ml--alice-home", "demo-ml-alice-home")
    for name in own_claims:
        _create(kube, _user_object(namespace, "PersistentVolumeClaim", name))
    for name in other_hubs_claims:
        _create(kube, _user_object(namespace, "PersistentVolumeClaim", name, hub="demo-ml"))
    _create(kube, _user_object(namespace, "Pod", "demo-jupyter-alice"))
    pod_path = resource_path("v1", "Pod", namespace=namespace, name="demo-jupyter-alice")

    def claim_path(name: str) -> str:
        return resource_path("v1", "PersistentVolumeClaim", namespace=namespace, name=name)

    kube.delete(resource_path(*HUBS, namespace=namespace, name="demo"))
    wait_for(lambda: get_hub(kube, namespace, "demo") is None or None, what="the hub to go")

    def gone_or_going(path: str) -> bool:
        obj = kube.get(path)
        return obj is None or bool(obj["metadata"].get("deletionTimestamp"))

    wait_for(lambda: gone_or_going(pod_path), timeout=30, what="the user pod to stop")
    # garbage collection (kube-controller-manager) removes the children
    wait_for(
        lambda: all(
            child(kube, namespace, key) is None
            for key in CHILDREN
            if key[1] not in {"PersistentVolumeClaim", "Secret"}
        )
        or None,
        timeout=90,
        what="children collected",
    )
    # The account database and its Secret share the users' volumes' lifetime: user volumes
    # are stamped with its accounts (docs/security.md, "User volumes").
    hub_data = resource_path(
        "v1", "PersistentVolumeClaim", namespace=namespace, name="demo-hub-data"
    )
    secret = resource_path("v1", "Secret", namespace=namespace, name="demo-secrets")
    if delete_data:
        for name in own_claims:
            wait_for(partial(gone_or_going, claim_path(name)), timeout=30, what=f"{name} deleted")
        wait_for(lambda: gone_or_going(hub_data), timeout=90, what="the hub data volume deleted")
        wait_for(lambda: kube.get(secret) is None, timeout=90, what="the hub's Secret collected")
    else:
        time.sleep(2)
        for path in (*(claim_path(name) for name in own_claims), hub_data, secret):
            kept = kube.get(path)
            assert kept is not None and not kept["metadata"].get("deletionTimestamp"), path
            assert not kept["metadata"].get("ownerReferences"), path
    for name in other_hubs_claims:
        kept = kube.get(claim_path(name))
        assert kept is not None and not kept["metadata"].get("deletionTimestamp"), name


def test_a_hub_deleted_while_the_operator_is_down_is_released_by_the_documented_commands(
    operator: OperatorProcess, kube: Kube, kube_config: str, namespace: str
) -> None:
    create_hub(kube, namespace, "demo")
    wait_for(lambda: all_children(kube, namespace, CHILDREN), what="every child")
    _create(kube, _user_object(namespace, "PersistentVolumeClaim", "demo-alice-home"))
    _create(kube, _user_object(namespace, "Pod", "demo-jupyter-alice"))
    operator.stop()

    kube.delete(resource_path(*HUBS, namespace=namespace, name="demo"))
    time.sleep(3)
    stuck = get_hub(kube, namespace, "demo")
    assert stuck is not None and stuck["metadata"].get("deletionTimestamp")
    assert stuck["metadata"].get("finalizers"), "nothing holds the hub: the test proves nothing"

    # docs/helm.md, "A hub deleted while the operator is down", command by command.
    cli = ClusterCli(kubeconfig=Path(kube_config))
    users = "app.kubernetes.io/instance=demo,app.kubernetes.io/component=singleuser"
    cli.kubectl("-n", namespace, "delete", "pods", "-l", users, "--wait=false")
    finalizers_off = '{"metadata":{"finalizers":null}}'
    cli.kubectl(
        "-n", namespace, "patch", "stellarshub", "demo", "--type", "merge", "-p", finalizers_off
    )

    wait_for(lambda: get_hub(kube, namespace, "demo") is None or None, what="the hub to go")
    pod = kube.get(resource_path("v1", "Pod", namespace=namespace, name="demo-jupyter-alice"))
    assert pod is None or pod["metadata"].get("deletionTimestamp")
    wait_for(
        lambda: child(kube, namespace, ("apps/v1", "Deployment", "demo-hub")) is None or None,
        timeout=90,
        what="the hub's children collected",
    )
    kept = kube.get(
        resource_path("v1", "PersistentVolumeClaim", namespace=namespace, name="demo-alice-home")
    )
    assert kept is not None and not kept["metadata"].get("deletionTimestamp")
