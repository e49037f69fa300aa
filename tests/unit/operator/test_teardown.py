"""teardown.py: user pods stopped; user PVCs deleted only when asked."""

from __future__ import annotations

from typing import Any

from stellars_operator.labels import standard_labels
from stellars_operator.teardown import delete_user_data, stop_user_servers
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
