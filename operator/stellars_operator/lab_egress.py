"""Node changes reach the labs' egress policy: a node's address is never "public" to a lab.

The Node watcher calls this for every hub; with the watch-backed client it costs no request
unless a node's address changed the policy `<hub>-singleuser`, which is then applied alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from stellars_operator.apply import apply_children
from stellars_operator.kube import KubeClient
from stellars_operator.labels import ChildNames
from stellars_operator.render.network import node_addresses, render_network
from stellars_operator.spec import SpecError, check_hub, parse_hub

logger = logging.getLogger(__name__)


def refresh_lab_egress(
    kube: KubeClient, body: Mapping[str, Any], *, nodes: Sequence[Mapping[str, Any]]
) -> bool:
    """Re-apply the labs' NetworkPolicy when the nodes' addresses changed it; True when applied."""
    if (body.get("metadata") or {}).get("deletionTimestamp"):
        return False  # going away: nothing of it is re-created
    try:
        hub = parse_hub(body)
    except SpecError:
        return False
    if check_hub(hub):
        return False  # a Degraded hub is left as it is until its spec is fixed
    name = ChildNames(hub.name).singleuser_policy
    policies = [
        policy
        for policy in render_network(hub, nodes=node_addresses(nodes))
        if policy["metadata"]["name"] == name
    ]
    applied = bool(apply_children(kube, hub, policies).applied)
    if applied:
        logger.info("%s/%s: labs' egress follows the nodes' addresses", hub.namespace, hub.name)
    return applied
