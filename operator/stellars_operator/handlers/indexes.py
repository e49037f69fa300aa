"""What the operator keeps in memory from its watches: hubs, GPU nodes, and every child it owns.

kopf fills these indexes from its watch streams before any other handler runs, and hands them to
handlers as keyword arguments (named after the index functions). Reading them costs no request.
"""

import copy
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
    return {(namespace, name): _plain(body)}


def _plain(body: kopf.Body) -> dict[str, Any]:
    obj = copy.deepcopy(dict(body))
    obj.get("metadata", {}).pop("managedFields", None)  # large, and never read
    return obj


def _child(*, body: kopf.Body, **_: Any) -> dict[IndexKey, Mapping[str, Any]]:
    return index_entries(_plain(body))


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
    index: kopf.Index[HubKey, dict[str, Any]] = kwargs["hubs"]
    return _snapshot(index)


def latest_hub(kwargs: Mapping[str, Any], namespace: str, name: str) -> dict[str, Any] | None:
    """The hub as last seen by the watch; None when it is gone."""
    index: kopf.Index[HubKey, dict[str, Any]] = kwargs["hubs"]
    for hub in _snapshot(index.get((namespace, name)) or ()):
        return copy.deepcopy(hub)  # type: ignore[no-any-return]
    return None


def watched_kube(api: KubeClient, kwargs: Mapping[str, Any]) -> WatchedKube:
    """`api` with reads of the operator's children served from the child indexes."""

    def lookup(plural: str, key: IndexKey) -> list[Mapping[str, Any]]:
        index: kopf.Index[IndexKey, Mapping[str, Any]] = kwargs[child_index_name(plural)]
        return _snapshot(index.get(key) or ())

    return WatchedKube(api, lookup)
