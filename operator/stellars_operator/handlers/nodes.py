"""Node watch: GPU nodes come and go; hubs get a new GPU decision without a restart."""

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from stellars_operator.constants import GROUP, PLURAL, VERSION
from stellars_operator.gpu import node_essentials
from stellars_operator.reconcile import refresh_gpu


@kopf.index("", "v1", "nodes")
def gpu_nodes(*, body: kopf.Body, name: str, **_: Any) -> dict[str, Any]:
    return {name: node_essentials(body)}


@kopf.index(GROUP, VERSION, PLURAL)
def hubs(*, body: kopf.Body, namespace: str | None, name: str, **_: Any) -> dict[Any, Any]:
    return {(namespace, name): copy.deepcopy(dict(body))}


def known_nodes(kwargs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every Node the `gpu_nodes` index holds (handlers receive indices as keyword arguments)."""
    index: kopf.Index[str, dict[str, Any]] = kwargs["gpu_nodes"]
    return [node for store in index.values() for node in store]


@kopf.on.event("", "v1", "nodes")
def node_changed(*, memo: Any, **kwargs: Any) -> None:
    nodes = known_nodes(kwargs)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    index: kopf.Index[Any, dict[str, Any]] = kwargs["hubs"]
    for store in index.values():
        for hub in store:
            decision = refresh_gpu(memo.kube, hub, nodes=nodes, now=now)
            if decision is not None:
                kopf.info(cast(kopf.Body, hub), reason="GpuChanged", message=decision.reason)
