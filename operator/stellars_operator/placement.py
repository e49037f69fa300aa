"""Where a hub may live: not in the operator's own namespace, unless the admin says so.

A hub's ServiceAccount may create pods in its namespace; in the operator's namespace such a pod
could run as the operator's ServiceAccount, whose rights are cluster-wide. The chart's admission
policy refuses such pods; this check keeps hubs out of that namespace in the first place. The
admin allows one hub there explicitly with the annotation ALLOW_OPERATOR_NAMESPACE="true".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from stellars_operator.spec import SpecError

ALLOW_OPERATOR_NAMESPACE: Final = "stellars.io/allow-operator-namespace"


def check_placement(body: Mapping[str, Any], operator_namespace: str) -> list[SpecError]:
    meta = body.get("metadata") or {}
    if not operator_namespace or meta.get("namespace") != operator_namespace:
        return []
    annotations = meta.get("annotations") or {}
    if annotations.get(ALLOW_OPERATOR_NAMESPACE) == "true":
        return []
    return [
        SpecError(
            "metadata.namespace",
            f"{operator_namespace} is the operator's own namespace: a hub here could run pods "
            f"as the operator's ServiceAccount; create the hub in another namespace, or allow "
            f'it with the annotation {ALLOW_OPERATOR_NAMESPACE}: "true" (docs/security.md)',
        )
    ]
