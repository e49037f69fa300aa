"""Pure renderers: a typed hub (plus generated secrets and the GPU decision) to manifests."""

from collections.abc import Mapping
from typing import Any

from stellars_operator.gpu import GpuDecision
from stellars_operator.render.config import render_config
from stellars_operator.render.hub import render_hub
from stellars_operator.render.ingress import render_ingress
from stellars_operator.render.network import render_network
from stellars_operator.render.proxy import render_proxy
from stellars_operator.render.rbac import render_rbac
from stellars_operator.render.secrets import render_secrets
from stellars_operator.render.storage import render_storage
from stellars_operator.spec import Hub


def render_children(
    hub: Hub, *, secret_values: Mapping[str, str], gpu: GpuDecision
) -> list[dict[str, Any]]:
    """The full desired set of a hub's children, in an order that applies cleanly."""
    return [
        *render_rbac(hub),
        *render_secrets(hub, values=secret_values),
        *render_config(hub, gpu=gpu),
        *render_storage(hub),
        *render_hub(hub),
        *render_proxy(hub),
        *render_ingress(hub),
        *render_network(hub),
    ]
