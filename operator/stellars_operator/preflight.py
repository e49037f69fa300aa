"""Checks that need the API: references in the spec that must exist. Each names the field."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from stellars_operator.kube import KubeClient, resource_path
from stellars_operator.labels import MANAGED_BY, ChildNames
from stellars_operator.spec import Hub, SpecError


def check_references(kube: KubeClient, hub: Hub) -> list[SpecError]:
    problems: list[SpecError] = []
    spec = hub.spec
    ref = spec.admin.password_secret_ref
    if ref is not None and ref.name:
        secret = kube.get(resource_path("v1", "Secret", namespace=hub.namespace, name=ref.name))
        if secret is None:
            problems.append(
                SpecError(
                    "spec.admin.passwordSecretRef.name",
                    f"Secret {hub.namespace}/{ref.name} does not exist",
                )
            )
        elif ref.key not in (secret.get("data") or {}):
            problems.append(
                SpecError(
                    "spec.admin.passwordSecretRef.key",
                    f"Secret {hub.namespace}/{ref.name} has no key {ref.key!r}",
                )
            )
    classes = {
        "spec.storage.storageClass": spec.storage.storage_class,
        "spec.storage.shared.storageClass": spec.storage.shared.storage_class
        if spec.storage.shared.enabled
        else None,
    }
    for field, name in classes.items():
        if name and kube.get(resource_path("storage.k8s.io/v1", "StorageClass", name=name)) is None:
            problems.append(SpecError(field, f"StorageClass {name} does not exist"))
    claim = spec.storage.shared.existing_claim
    if spec.storage.shared.enabled and claim:
        path = resource_path("v1", "PersistentVolumeClaim", namespace=hub.namespace, name=claim)
        if kube.get(path) is None:
            problems.append(
                SpecError(
                    "spec.storage.shared.existingClaim",
                    f"PersistentVolumeClaim {hub.namespace}/{claim} does not exist",
                )
            )
    return problems


class SecretsError(ValueError):
    """`<hub>-secrets` cannot be used or completed; the message says why and what to do."""


def read_secret_values(kube: KubeClient, hub: Hub) -> dict[str, str]:
    """The current values of `<hub>-secrets` (empty when it does not exist yet)."""
    name = ChildNames(hub.name).secret
    path = resource_path("v1", "Secret", namespace=hub.namespace, name=name)
    secret: dict[str, Any] = kube.get(path) or {}
    values = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            values[key] = base64.b64decode(value).decode()
        except (ValueError, UnicodeDecodeError) as error:
            raise SecretsError(
                f"Secret {hub.namespace}/{name} key {key!r} is not UTF-8 text ({error})"
            ) from error
    return values


def check_nothing_minted_over_data(
    kube: KubeClient, hub: Hub, *, existing: Mapping[str, str], needed: Iterable[str]
) -> None:
    """Refuse to generate new secret values once the hub has data: the hub and its sessions
    were made with the old ones (and the hub's database holds the admin's first password)."""
    missing = sorted(key for key in needed if not existing.get(key))
    names = ChildNames(hub.name)
    claim = kube.get(
        resource_path("v1", "PersistentVolumeClaim", namespace=hub.namespace, name=names.hub_data)
    )
    if not missing or claim is None or (claim.get("status") or {}).get("phase") != "Bound":
        return
    raise SecretsError(
        f"Secret {hub.namespace}/{names.secret} lacks {', '.join(missing)} while the hub's data "
        f"volume {names.hub_data} exists: new values are not generated over existing data. "
        f"Restore the Secret (labelled app.kubernetes.io/instance={hub.name}, "
        f"app.kubernetes.io/managed-by={MANAGED_BY}), or create it with new values "
        f"(docs/security.md, 'Lost hub secrets')"
    )
