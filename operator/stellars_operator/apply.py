"""Server-side apply of a hub's desired children, and pruning of those it no longer wants.

A child whose live object already holds its manifest is not applied again (drift.py): with the
watch-backed client (watched.py) an unchanged hub costs no request at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from stellars_operator.drift import drifted, stamp
from stellars_operator.kube import KubeClient, manifest_path, resource_path
from stellars_operator.labels import COMPONENT_KEY, children_selector
from stellars_operator.spec import Hub

logger = logging.getLogger(__name__)

# Kinds the operator renders and may therefore remove. PersistentVolumeClaims are never pruned:
# they hold data, and a spec change must not delete it.
PRUNABLE_KINDS: tuple[tuple[str, str], ...] = (
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("v1", "ServiceAccount"),
)

Identity = tuple[str, str, str]


def identity(manifest: Mapping[str, Any]) -> Identity:
    return (manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"])


def apply_child(kube: KubeClient, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Apply one manifest, stamped with its hash, with field manager `stellars-operator`."""
    return kube.apply(stamp(manifest))


def apply_children(
    kube: KubeClient, manifests: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Apply each manifest whose live object differs from it (or is missing); returns what the
    API server answered for those applied."""
    applied = []
    for manifest in manifests:
        stamped = stamp(manifest)
        if drifted(stamped, kube.get(manifest_path(stamped))):
            applied.append(kube.apply(stamped))
    return applied


def _owned_by(obj: Mapping[str, Any], hub: Hub) -> bool:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(ref.get("uid") == hub.uid for ref in refs)


def prune_children(kube: KubeClient, hub: Hub, desired: Iterable[Mapping[str, Any]]) -> list[str]:
    """Delete the hub's children (found by label, owned by this hub) not in the desired set."""
    wanted = {identity(m) for m in desired}
    removed = []
    for api_version, kind in PRUNABLE_KINDS:
        path = resource_path(api_version, kind, namespace=hub.namespace)
        for obj in kube.list(path, label_selector=children_selector(hub.name)):
            meta = obj.get("metadata") or {}
            labels = meta.get("labels") or {}
            key = (api_version, kind, meta.get("name", ""))
            if key in wanted or labels.get(COMPONENT_KEY) == "singleuser":
                continue
            if not _owned_by(obj, hub):
                continue
            stale = {"apiVersion": api_version, "kind": kind, "metadata": meta}
            if kube.delete(manifest_path(stale)):
                logger.info("%s/%s: pruned %s %s", hub.namespace, hub.name, kind, key[2])
                removed.append(f"{kind}/{key[2]}")
    return removed
