"""PersistentVolumeClaims the operator makes: the hub's data volume and the shared volume.

Both are kept when the hub is deleted (no owner reference) unless
`spec.storage.deleteUserDataOnHubDelete`: user volumes are stamped with their account in the
hub's database, so the database must outlive the hub exactly as long as they do.

User volumes are KubeSpawner's (one set per user); the operator never renders them.
"""

from typing import Any

from stellars_operator.labels import ChildNames
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub


def _claim(
    hub: Hub, *, name: str, size: str, access_mode: str, storage_class: str | None, owned: bool
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": [access_mode],
        "resources": {"requests": {"storage": size}},
    }
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": object_meta(hub, name=name, component="hub", owned=owned),
        "spec": spec,
    }


def render_storage(hub: Hub) -> list[dict[str, Any]]:
    names = ChildNames(hub.name)
    storage = hub.spec.storage
    claims = [
        _claim(
            hub,
            name=names.hub_data,
            size=storage.hub_data,
            access_mode="ReadWriteOnce",
            storage_class=storage.storage_class,
            # The account database lives as long as the users' volumes: a re-created hub
            # finds its accounts, and so its users their files (docs/security.md).
            owned=storage.delete_user_data_on_hub_delete,
        )
    ]
    shared = storage.shared
    if shared.enabled and not shared.existing_claim:
        # The shared volume holds users' files: it outlives the hub unless the spec says not.
        claims.append(
            _claim(
                hub,
                name=names.shared,
                size=shared.size,
                access_mode=shared.access_mode,
                storage_class=shared.storage_class or storage.storage_class,
                owned=storage.delete_user_data_on_hub_delete,
            )
        )
    return claims
