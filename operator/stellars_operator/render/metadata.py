"""Metadata every child shares: namespace, the standard labels and the owner reference."""

from typing import Any, Final

from stellars_operator.constants import API_VERSION, KIND, RUN_AS_USER
from stellars_operator.labels import Component, standard_labels
from stellars_operator.spec import Hub


def owner_reference(hub: Hub) -> dict[str, Any]:
    """Makes the StellarsHub the controller of a child, so garbage collection removes it."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "name": hub.name,
        "uid": hub.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def object_meta(
    hub: Hub,
    *,
    name: str,
    component: Component,
    annotations: dict[str, str] | None = None,
    owned: bool = True,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": hub.namespace,
        "labels": standard_labels(hub.name, component),
    }
    if annotations:
        meta["annotations"] = dict(annotations)
    if owned:
        meta["ownerReferences"] = [owner_reference(hub)]
    return meta


def pod_security_context() -> dict[str, Any]:
    """Pod-level settings that satisfy PodSecurity "restricted"."""
    return {
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_USER,
        "runAsGroup": RUN_AS_USER,
        "fsGroup": RUN_AS_USER,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


# /tmp of the hub and the proxy, whose root filesystems are read-only: a small emptyDir.
SCRATCH_VOLUME: Final[dict[str, Any]] = {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}
SCRATCH_MOUNT: Final[dict[str, Any]] = {"name": "tmp", "mountPath": "/tmp"}


def container_security_context() -> dict[str, Any]:
    """Container-level settings that satisfy PodSecurity "restricted"."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
    }
