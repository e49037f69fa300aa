"""watched.py: the operator's children read from the watch indexes, everything else from the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stellars_operator.labels import children_selector, standard_labels, user_selector
from stellars_operator.watched import IndexKey, WatchedKube, index_entries
from tests.unit.operator.fake_kube import FakeKube

CONFIG = "/api/v1/namespaces/team/configmaps/demo-config"
CONFIGS = "/api/v1/namespaces/team/configmaps"


def config_map(name: str, hub: str = "demo") -> dict[str, Any]:
    meta = {"name": name, "namespace": "team", "labels": standard_labels(hub, "hub")}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {}}


def watched(*objects: dict[str, Any], api: FakeKube | None = None) -> WatchedKube:
    """A WatchedKube over an index holding `objects`, as handlers/indexes.py fills it."""
    index: dict[tuple[str, IndexKey], list[Mapping[str, Any]]] = {}
    for obj in objects:
        for key, value in index_entries(obj).items():
            index.setdefault(("configmaps", key), []).append(value)
    return WatchedKube(api or FakeKube(), lambda plural, key: index.get((plural, key), []))


def test_a_watched_child_is_read_without_a_request() -> None:
    api = FakeKube()
    kube = watched(config_map("demo-config"), api=api)
    assert (kube.get(CONFIG) or {})["metadata"]["name"] == "demo-config"
    listed = kube.list(CONFIGS, label_selector=children_selector("demo"))
    assert [o["metadata"]["name"] for o in listed] == ["demo-config"]
    assert kube.list(CONFIGS, label_selector=children_selector("other")) == []
    assert api.calls == []


def test_what_the_watch_does_not_hold_is_asked_of_the_api() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "pw", "namespace": "team"}}
    api = FakeKube(secret)
    kube = watched(api=api)
    assert kube.get("/api/v1/namespaces/team/secrets/pw") == secret
    assert kube.get(CONFIG) is None
    kube.list(
        "/api/v1/namespaces/team/persistentvolumeclaims", label_selector=user_selector("demo")
    )
    kube.get("/api/v1/namespaces/team/pods/demo-jupyter-alice")
    assert [verb for verb, _ in api.calls] == ["GET", "GET", "LIST", "GET"]


def test_a_pass_reads_its_own_writes() -> None:
    api = FakeKube()
    kube = watched(config_map("demo-config"), config_map("demo-gpu"), api=api)
    changed = {**config_map("demo-config"), "data": {"x": "1"}}
    kube.apply(changed)
    assert (kube.get(CONFIG) or {})["data"] == {"x": "1"}
    kube.delete(f"{CONFIGS}/demo-gpu")
    assert kube.get(f"{CONFIGS}/demo-gpu") is None
    listed = kube.list(CONFIGS, label_selector=children_selector("demo"))
    assert [o["metadata"]["name"] for o in listed] == ["demo-config"]
