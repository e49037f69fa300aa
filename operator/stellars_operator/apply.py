"""Server-side apply of a hub's desired children, and pruning of those it no longer wants.

A child whose live object already holds its manifest is not applied again (drift.py): with the
watch-backed client (watched.py) an unchanged hub costs no request at all.

Each child is applied on its own, NetworkPolicies first, so that one refused child (a webhook
rejecting an Ingress) neither stops the others nor leaves labs running without their policy;
every failure is reported. An object of a child's name that this hub does not manage is never
taken over (forced apply would adopt it, and garbage collection later delete it). Claims are
created once and never changed: their specs are immutable, and a failed change would block
every later update.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client.exceptions import ApiException

from stellars_operator.drift import drifted, stamp
from stellars_operator.kube import KubeClient, manifest_path, resource_path
from stellars_operator.labels import (
    COMPONENT_KEY,
    INSTANCE_KEY,
    MANAGED_BY,
    MANAGED_BY_KEY,
    children_selector,
)
from stellars_operator.spec import Hub

logger = logging.getLogger(__name__)

# Kinds the operator renders and may therefore remove. PersistentVolumeClaims are never pruned:
# they hold data, and a spec change must not delete it. Nor is the Secret: the hub always has
# one, and garbage collection takes it with the hub. Roles are no longer rendered: the Role
# `<hub>-hub` of an older operator is pruned once (its rules now come from a ClusterRole).
PRUNABLE_KINDS: tuple[tuple[str, str], ...] = (
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("v1", "ServiceAccount"),
)
# Fields the API server never changes in place: a change replaces the object.
IMMUTABLE_FIELDS: Mapping[str, str] = {"RoleBinding": "roleRef"}

Identity = tuple[str, str, str]


def identity(manifest: Mapping[str, Any]) -> Identity:
    return (manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"])


def apply_child(kube: KubeClient, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Apply one manifest, stamped with its hash, with field manager `stellars-operator`."""
    return kube.apply(stamp(manifest))


@dataclass
class ApplyReport:
    """What one pass applied, and each child it could not apply, with why."""

    applied: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def error(self) -> str | None:
        return "; ".join(self.failures) or None


def api_error(error: ApiException) -> str:
    return f"API {error.status} {error.reason}: {(error.body or '')[:300]}"


def _apply_order(manifest: Mapping[str, Any]) -> int:
    # Policies before the pods they protect.
    return 0 if manifest["kind"] == "NetworkPolicy" else 1


def apply_children(
    kube: KubeClient, hub: Hub, manifests: Iterable[Mapping[str, Any]]
) -> ApplyReport:
    """Apply each manifest whose live object differs from it (or is missing); a failure is
    recorded and the next child applied all the same."""
    report = ApplyReport()
    for manifest in sorted(manifests, key=_apply_order):
        stamped = stamp(manifest)
        kind, name = stamped["kind"], stamped["metadata"]["name"]
        try:
            live = kube.get(manifest_path(stamped))
            if live is not None and not managed_by(live, hub):
                report.failures.append(f"{kind} {name} exists and is not managed by this hub")
                continue
            if live is not None and kind == "PersistentVolumeClaim":
                continue
            immutable = IMMUTABLE_FIELDS.get(kind)
            if live is not None and immutable and live.get(immutable) != stamped.get(immutable):
                kube.delete(manifest_path(stamped))
                live = None
            if drifted(stamped, live):
                report.applied.append(kube.apply(stamped))
        except ApiException as error:
            report.failures.append(f"{kind} {name}: {api_error(error)}")
    for failure in report.failures:
        logger.error("%s/%s: %s", hub.namespace, hub.name, failure)
    return report


def managed_by(obj: Mapping[str, Any], hub: Hub) -> bool:
    """Owned by this hub, or labelled as this hub's child (a claim the hub keeps unowned, or a
    child of an earlier hub of the same name)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    labelled = labels.get(INSTANCE_KEY) == hub.name and labels.get(MANAGED_BY_KEY) == MANAGED_BY
    return labelled or _owned_by(obj, hub)


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
