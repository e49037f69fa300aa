"""Pure renderers: a typed hub (plus generated secrets and the GPU decision) to manifests."""

from collections.abc import Mapping, Sequence
from typing import Any

from stellars_operator.gpu import GpuDecision
from stellars_operator.render.config import render_config
from stellars_operator.render.hub import render_hub
from stellars_operator.render.ingress import render_ingress
from stellars_operator.render.network import render_network
from stellars_operator.render.proxy import render_proxy
from stellars_operator.render.rbac import render_rbac
from stellars_operator.render.secrets import render_secrets, with_secrets_hash
from stellars_operator.render.storage import render_storage
from stellars_operator.settings import DEFAULT_HUB_CLUSTER_ROLE
from stellars_operator.spec import Hub


def render_children(
    hub: Hub,
    *,
    secret_values: Mapping[str, str],
    gpu: GpuDecision,
    node_addresses: Sequence[str] = (),
    hub_cluster_role: str = DEFAULT_HUB_CLUSTER_ROLE,
) -> list[dict[str, Any]]:
    """The full desired set of a hub's children, in an order that applies cleanly.

    `node_addresses`: the cluster's nodes, which the labs' egress never counts as public;
    `hub_cluster_role`: the ClusterRole the hub's RoleBinding binds (settings.py).
    """
    hub_and_proxy = [
        with_secrets_hash(m, secret_values) if m["kind"] == "Deployment" else m
        for m in (*render_hub(hub), *render_proxy(hub))
    ]
    return [
        *render_rbac(hub, cluster_role=hub_cluster_role),
        *render_secrets(hub, values=secret_values),
        *render_config(hub, gpu=gpu),
        *render_storage(hub),
        *hub_and_proxy,
        *render_ingress(hub),
        *render_network(hub, nodes=node_addresses),
    ]
