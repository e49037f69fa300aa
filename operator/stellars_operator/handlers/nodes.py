"""Node watch: GPU nodes come and go; hubs get a new GPU decision without a restart."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from stellars_operator.constants import GROUP, PLURAL, VERSION
from stellars_operator.gpu import node_essentials
from stellars_operator.handlers.locks import hub_lock
from stellars_operator.reconcile import hub_path, refresh_gpu


@kopf.index("", "v1", "nodes")
def gpu_nodes(*, body: kopf.Body, name: str, **_: Any) -> dict[str, Any]:
    return {name: node_essentials(body)}


@kopf.index(GROUP, VERSION, PLURAL)
def hubs(*, namespace: str | None, name: str, **_: Any) -> dict[Any, Any]:
    return {(namespace, name): True}


def known_nodes(kwargs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every Node the `gpu_nodes` index holds (handlers receive indices as keyword arguments)."""
    index: kopf.Index[str, dict[str, Any]] = kwargs["gpu_nodes"]
    return [node for store in index.values() for node in store]


@kopf.on.event("", "v1", "nodes")
def node_changed(*, memo: Any, **kwargs: Any) -> None:
    nodes = known_nodes(kwargs)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    index: kopf.Index[tuple[str, str], bool] = kwargs["hubs"]
    for namespace, name in list(index):
        with hub_lock(memo, namespace, name):
            hub = memo.kube.get(hub_path(namespace, name))  # fresh: the status is rewritten
            decision = None if hub is None else refresh_gpu(memo.kube, hub, nodes=nodes, now=now)
        if hub is not None and decision is not None:
            kopf.info(cast(kopf.Body, hub), reason="GpuChanged", message=decision.reason)
