"""What happens to users when their hub is deleted: servers stop; data stays unless asked.

The data is the users' volumes and the hub's account database with its Secret: the one is
stamped with accounts of the other, so they are kept, or deleted, together.
"""

from __future__ import annotations

import logging

from stellars_operator.kube import KubeClient, resource_path
from stellars_operator.labels import ChildNames, user_selector

logger = logging.getLogger(__name__)


def _delete_all(kube: KubeClient, *, namespace: str, hub_name: str, kind: str) -> list[str]:
    path = resource_path("v1", kind, namespace=namespace)
    deleted = []
    for obj in kube.list(path, label_selector=user_selector(hub_name)):
        name = obj["metadata"]["name"]
        if kube.delete(resource_path("v1", kind, namespace=namespace, name=name)):
            deleted.append(name)
    return deleted


def stop_user_servers(kube: KubeClient, *, namespace: str, hub_name: str) -> list[str]:
    """Delete the hub's user pods (KubeSpawner labels them component=singleuser)."""
    stopped = _delete_all(kube, namespace=namespace, hub_name=hub_name, kind="Pod")
    logger.info("%s/%s: stopped user servers %s", namespace, hub_name, stopped)
    return stopped


def keep_hub_data(kube: KubeClient, *, namespace: str, hub_name: str) -> list[str]:
    """Take the hub's owner reference off its data volume and Secret, so that garbage collection
    keeps them with the users' volumes (hubs made before they were rendered unowned)."""
    names = ChildNames(hub_name)
    kept = []
    for kind, name in (("PersistentVolumeClaim", names.hub_data), ("Secret", names.secret)):
        path = resource_path("v1", kind, namespace=namespace, name=name)
        found = kube.get(path)
        if found is None:
            continue
        if (found.get("metadata") or {}).get("ownerReferences"):
            kube.merge_patch(path, {"metadata": {"ownerReferences": None}})
        kept.append(name)
    return kept


def delete_user_data(kube: KubeClient, *, namespace: str, hub_name: str) -> list[str]:
    """Delete the hub's user PVCs: only when spec.storage.deleteUserDataOnHubDelete is true."""
    deleted = _delete_all(
        kube, namespace=namespace, hub_name=hub_name, kind="PersistentVolumeClaim"
    )
    # The account database too (garbage collection takes it when it is owned; it is not when
    # it was made while the spec still kept it).
    hub_data = ChildNames(hub_name).hub_data
    if kube.delete(
        resource_path("v1", "PersistentVolumeClaim", namespace=namespace, name=hub_data)
    ):
        deleted.append(hub_data)
    logger.warning("%s/%s: deleted user volumes %s", namespace, hub_name, deleted)
    return deleted
