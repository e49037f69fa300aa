"""What the operator keeps in memory from its watches: hubs, GPU nodes, and every child it owns.

kopf fills these indexes from its watch streams before any other handler runs, and hands them to
handlers as keyword arguments (named after the index functions). Reading them costs no request.

Hubs and children are kept as compact JSON text, decoded when a pass reads them: as Python dicts
they took about five times the memory (at 100 hubs, most of the operator's growth), and each
read gets a fresh copy that the pass may change.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

import kopf

from stellars_operator.constants import GROUP, PLURAL, VERSION
from stellars_operator.gpu import node_essentials
from stellars_operator.kube import KubeClient
from stellars_operator.watched import CHILD_RESOURCES, IndexKey, WatchedKube, index_entries

HubKey = tuple[str, str]


@kopf.index("", "v1", "nodes")
def gpu_nodes(*, body: kopf.Body, name: str, **_: Any) -> dict[str, Any]:
    return {name: node_essentials(body)}


@kopf.index(GROUP, VERSION, PLURAL)
def hubs(*, body: kopf.Body, namespace: str | None, name: str, **_: Any) -> dict[Any, Any]:
    """The latest StellarsHub objects, status included (what the reconcile compares against)."""
    return {(namespace, name): _packed(_plain(body))}


def _plain(body: kopf.Body) -> dict[str, Any]:
    """The object without its managedFields (large, and never read); shares body's values."""
    obj = dict(body)
    meta = obj.get("metadata") or {}
    obj["metadata"] = {key: value for key, value in meta.items() if key != "managedFields"}
    return obj


def _packed(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _unpacked(packed: str) -> dict[str, Any]:
    return json.loads(packed)  # type: ignore[no-any-return]


def _child(*, body: kopf.Body, **_: Any) -> dict[IndexKey, str]:
    obj = _plain(body)
    packed = _packed(obj)
    return {key: packed for key in index_entries(obj)}


def child_index_name(plural: str) -> str:
    return f"{plural}_children"


for _group, _version, _plural in CHILD_RESOURCES:
    kopf.index(_group, _version, _plural, id=child_index_name(_plural))(_child)


def _snapshot(values: Iterable[Any]) -> list[Any]:
    # Handlers run in worker threads while the event loop updates the indexes.
    for _ in range(3):
        try:
            return list(values)
        except RuntimeError:  # changed size during iteration
            continue
    return list(values)


def known_nodes(kwargs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every Node the `gpu_nodes` index holds."""
    index: kopf.Index[str, dict[str, Any]] = kwargs["gpu_nodes"]
    return [node for key in _snapshot(index) for node in _snapshot(index.get(key) or ())]


def known_hubs(kwargs: Mapping[str, Any]) -> list[HubKey]:
    index: kopf.Index[HubKey, str] = kwargs["hubs"]
    return _snapshot(index)


def latest_hub(kwargs: Mapping[str, Any], namespace: str, name: str) -> dict[str, Any] | None:
    """The hub as last seen by the watch (a copy of its own); None when it is gone."""
    index: kopf.Index[HubKey, str] = kwargs["hubs"]
    for hub in _snapshot(index.get((namespace, name)) or ()):
        return _unpacked(hub)
    return None


def watched_kube(api: KubeClient, kwargs: Mapping[str, Any]) -> WatchedKube:
    """`api` with reads of the operator's children served from the child indexes."""

    def lookup(plural: str, key: IndexKey) -> list[Mapping[str, Any]]:
        index: kopf.Index[IndexKey, str] = kwargs[child_index_name(plural)]
        return [_unpacked(packed) for packed in _snapshot(index.get(key) or ())]

    return WatchedKube(api, lookup)
