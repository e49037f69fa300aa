"""What happens to users when their hub is deleted: servers stop; data stays unless asked."""

from __future__ import annotations

import logging

from stellars_operator.kube import KubeClient, resource_path
from stellars_operator.labels import user_selector

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


def delete_user_data(kube: KubeClient, *, namespace: str, hub_name: str) -> list[str]:
    """Delete the hub's user PVCs: only when spec.storage.deleteUserDataOnHubDelete is true."""
    deleted = _delete_all(
        kube, namespace=namespace, hub_name=hub_name, kind="PersistentVolumeClaim"
    )
    logger.warning("%s/%s: deleted user volumes %s", namespace, hub_name, deleted)
    return deleted
