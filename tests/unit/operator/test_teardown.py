"""teardown.py: user pods stopped; user PVCs deleted only when asked."""

from __future__ import annotations

from typing import Any

from stellars_operator.labels import standard_labels
from stellars_operator.teardown import delete_user_data, keep_hub_data, stop_user_servers
from tests.unit.operator.fake_kube import FakeKube


def obj(kind: str, name: str, hub: str = "demo", component: str = "singleuser") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "team",
            "labels": standard_labels(hub, component),  # type: ignore[arg-type]
        },
    }


def test_stops_only_this_hubs_user_pods() -> None:
    kube = FakeKube(
        obj("Pod", "demo-jupyter-alice"),
        obj("Pod", "other-jupyter-alice", hub="other"),
        obj("Pod", "demo-hub-123", component="hub"),
    )
    assert stop_user_servers(kube, namespace="team", hub_name="demo") == ["demo-jupyter-alice"]
    assert set(kube.objects) == {
        "/api/v1/namespaces/team/pods/other-jupyter-alice",
        "/api/v1/namespaces/team/pods/demo-hub-123",
    }


def test_deletes_user_volumes() -> None:
    kube = FakeKube(obj("PersistentVolumeClaim", "demo-alice-home"), obj("Pod", "demo-jupyter-a"))
    assert delete_user_data(kube, namespace="team", hub_name="demo") == ["demo-alice-home"]
    assert list(kube.objects) == ["/api/v1/namespaces/team/pods/demo-jupyter-a"]


def test_the_hubs_data_and_secret_lose_their_owner_so_that_they_are_kept() -> None:
    data = obj("PersistentVolumeClaim", "demo-hub-data", component="hub")
    data["metadata"]["ownerReferences"] = [{"kind": "StellarsHub", "name": "demo", "uid": "u"}]
    secret = obj("Secret", "demo-secrets", component="hub")
    kube = FakeKube(data, secret)
    assert keep_hub_data(kube, namespace="team", hub_name="demo") == [
        "demo-hub-data",
        "demo-secrets",
    ]
    # The claim had an owner (a hub from before): it is taken off; the Secret had none.
    assert ("PATCH", "/api/v1/namespaces/team/persistentvolumeclaims/demo-hub-data") in kube.calls
    assert not any(
        path.endswith("/secrets/demo-secrets") for verb, path in kube.calls if verb == "PATCH"
    )
    assert keep_hub_data(FakeKube(), namespace="team", hub_name="demo") == []


def test_deleting_user_data_deletes_the_hubs_data_too() -> None:
    kube = FakeKube(
        obj("PersistentVolumeClaim", "demo-alice-home"),
        obj("PersistentVolumeClaim", "demo-hub-data", component="hub"),
    )
    assert delete_user_data(kube, namespace="team", hub_name="demo") == [
        "demo-alice-home",
        "demo-hub-data",
    ]
    assert kube.objects == {}
