"""Checks that need the API: references in the spec that must exist. Each names the field."""

from __future__ import annotations

import base64
from typing import Any

from stellars_operator.kube import KubeClient, resource_path
from stellars_operator.labels import ChildNames
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


def read_secret_values(kube: KubeClient, hub: Hub) -> dict[str, str]:
    """The current values of `<hub>-secrets` (empty when it does not exist yet)."""
    path = resource_path("v1", "Secret", namespace=hub.namespace, name=ChildNames(hub.name).secret)
    secret: dict[str, Any] = kube.get(path) or {}
    data = secret.get("data") or {}
    return {key: base64.b64decode(value).decode() for key, value in data.items()}
