"""A small dict-in, dict-out client for the Kubernetes API, on the `kubernetes` package's transport.

Manifests stay plain dicts end to end (no model classes), which keeps the renderers and the
apply step free of client types. `KubeClient` is the seam: reconcile, apply, preflight, teardown
and the uninstall hook take any object with its five verbs. `Kube` below serves them from a real
API server; the unit tests' in-memory fake (tests/unit/operator/fake_kube.py) stands in for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from stellars_operator.constants import FIELD_MANAGER

# apiVersion, kind -> plural, namespaced
RESOURCES: Mapping[tuple[str, str], tuple[str, bool]] = {
    ("v1", "ServiceAccount"): ("serviceaccounts", True),
    ("v1", "Secret"): ("secrets", True),
    ("v1", "ConfigMap"): ("configmaps", True),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True),
    ("v1", "Service"): ("services", True),
    ("v1", "Pod"): ("pods", True),
    ("v1", "Node"): ("nodes", False),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("apps/v1", "Deployment"): ("deployments", True),
    ("networking.k8s.io/v1", "Ingress"): ("ingresses", True),
    ("networking.k8s.io/v1", "NetworkPolicy"): ("networkpolicies", True),
    ("storage.k8s.io/v1", "StorageClass"): ("storageclasses", False),
    ("stellars.io/v1alpha1", "StellarsHub"): ("stellarshubs", True),
}


def resource_path(
    api_version: str, kind: str, *, namespace: str | None = None, name: str | None = None
) -> str:
    plural, namespaced = RESOURCES[(api_version, kind)]
    root = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    path = f"{root}/namespaces/{namespace}/{plural}" if namespaced else f"{root}/{plural}"
    return f"{path}/{name}" if name else path


def manifest_path(manifest: Mapping[str, Any]) -> str:
    meta = manifest["metadata"]
    return resource_path(
        manifest["apiVersion"], manifest["kind"], namespace=meta.get("namespace"), name=meta["name"]
    )


def load_api_client() -> client.ApiClient:
    """In-cluster credentials when running in a pod, else KUBECONFIG / ~/.kube/config."""
    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    return client.ApiClient()


class KubeClient(Protocol):
    """What the operator needs from the API: five verbs on plain dicts, addressed by path."""

    def get(self, path: str) -> dict[str, Any] | None:
        """The object at `path`, or None when it does not exist."""
        ...

    def list(self, path: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        """The items of the collection at `path`, optionally filtered by labels."""
        ...

    def apply(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Server-side apply with the operator's field manager, forcing ownership."""
        ...

    def merge_patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON merge patch of the object (or subresource) at `path`."""
        ...

    def delete(self, path: str) -> bool:
        """True when something was deleted, False when it was already gone."""
        ...


class Kube(KubeClient):
    """`KubeClient` on a real API server: GET, LIST, server-side APPLY, merge PATCH, DELETE."""

    def __init__(
        self,
        api_client: client.ApiClient,
        *,
        before_write: Callable[[str, str], None] | None = None,
    ) -> None:
        self.api_client = api_client
        # Called with (method, path) before each apply, patch and delete: the fault suite's
        # kill switch (fault_injection.py) when armed, nothing otherwise.
        self.before_write = before_write

    def _writing(self, method: str, path: str) -> None:
        if self.before_write is not None:
            self.before_write(method, path)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        serialized = self.api_client.param_serialize(
            method=method,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        method_, url, header_params, body_, _ = serialized
        response = self.api_client.call_api(method_, url, header_params=header_params, body=body_)
        data = response.read() or b""  # type: ignore[no-untyped-call]
        text = data.decode() if isinstance(data, bytes) else str(data)
        if not 200 <= response.status <= 299:
            raise ApiException(status=response.status, reason=response.reason, body=text)
        return json.loads(text) if text else {}

    def get(self, path: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", path)
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def list(self, path: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        query = {"labelSelector": label_selector} if label_selector else None
        items: list[dict[str, Any]] = self.request("GET", path, query=query).get("items") or []
        return items

    def apply(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        self._writing("APPLY", manifest_path(manifest))
        return self.request(
            "PATCH",
            manifest_path(manifest),
            query={"fieldManager": FIELD_MANAGER, "force": "true"},
            body=manifest,
            content_type="application/apply-patch+yaml",
        )

    def merge_patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self._writing("PATCH", path)
        return self.request("PATCH", path, body=body, content_type="application/merge-patch+json")

    def delete(self, path: str) -> bool:
        """True when something was deleted, False when it was already gone."""
        self._writing("DELETE", path)
        try:
            self.request("DELETE", path, body={"propagationPolicy": "Background"})
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True
