"""Drift through watches: a change to a child the operator owns runs a pass over its hub.

The pass compares each desired child with what the watch last saw and applies only those that
differ (apply.py, drift.py), so the echo of the operator's own apply, or a Deployment reporting
its rollout, costs no write; an edit or a deletion by someone else is repaired at once.
"""

from typing import Any

import kopf

from stellars_operator.handlers.ensure import ensure_hub
from stellars_operator.handlers.locks import claim_pass
from stellars_operator.labels import INSTANCE_KEY
from stellars_operator.watched import CHILD_RESOURCES


def child_changed(*, labels: kopf.Labels, namespace: str | None, memo: Any, **kwargs: Any) -> None:
    hub = labels.get(INSTANCE_KEY)
    if not hub or not namespace or not claim_pass(memo, namespace, hub):
        return  # not a hub's child, or a pass of that hub is already waiting to read
    ensure_hub(namespace, hub, memo=memo, indexes=kwargs, quiet=True)


for _group, _version, _plural in CHILD_RESOURCES:
    kopf.on.event(_group, _version, _plural, id=f"{_plural}_changed")(child_changed)
