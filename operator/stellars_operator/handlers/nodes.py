"""Node watch: GPU nodes come and go; hubs get a new GPU decision without a restart.

Each hub's decision is computed from the indexes (no request); only the hubs whose decision
changed are written: their `<hub>-gpu` and `status.gpu`. The labs' egress policy follows the
nodes' addresses the same way (lab_egress.py).
"""

from datetime import UTC, datetime
from typing import Any, cast

import kopf

from stellars_operator.handlers.indexes import known_hubs, known_nodes, latest_hub, watched_kube
from stellars_operator.handlers.locks import hub_lock
from stellars_operator.lab_egress import refresh_lab_egress
from stellars_operator.reconcile import refresh_gpu


@kopf.on.event("", "v1", "nodes")
def node_changed(*, memo: Any, **kwargs: Any) -> None:
    nodes = known_nodes(kwargs)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for namespace, name in known_hubs(kwargs):
        with hub_lock(memo, namespace, name):
            hub = latest_hub(kwargs, namespace, name)
            decision = None if hub is None else refresh_gpu(memo.kube, hub, nodes=nodes, now=now)
            if hub is not None:
                refresh_lab_egress(watched_kube(memo.kube, kwargs), hub, nodes=nodes)
        if hub is not None and decision is not None:
            kopf.info(cast(kopf.Body, hub), reason="GpuChanged", message=decision.reason)
