"""An in-memory `KubeClient` for the operator's unit tests: objects by path, calls recorded.

mypy checks it against the Protocol (pyproject's `[tool.mypy]` names this module), so the fake
cannot drift from what reconcile, apply, preflight and teardown call.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from stellars_operator.kube import KubeClient, manifest_path


def _matches(obj: Mapping[str, Any], selector: str | None) -> bool:
    if not selector:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    pairs = (term.split("=", 1) for term in selector.split(","))
    return all(labels.get(k) == v for k, v in pairs)


class FakeKube(KubeClient):
    """Stores applied manifests as the API server would; `fail_apply` makes every apply fail,
    `refuse` the applies of the kinds it names (kind -> HTTP status)."""

    def __init__(
        self,
        *objects: Mapping[str, Any],
        fail_apply: int | None = None,
        refuse: Mapping[str, int] | None = None,
    ) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_apply = fail_apply
        self.refuse = dict(refuse or {})
        for obj in objects:
            self.objects[manifest_path(obj)] = copy.deepcopy(dict(obj))

    # The two queries come before the verbs: below `def list`, `list[...]` names the method.
    def applied(self) -> list[str]:
        """Paths applied, in order."""
        return [path for verb, path in self.calls if verb == "APPLY"]

    def deleted(self) -> list[str]:
        """Paths deleted, in order."""
        return [path for verb, path in self.calls if verb == "DELETE"]

    def get(self, path: str) -> dict[str, Any] | None:
        self.calls.append(("GET", path))
        found = self.objects.get(path)
        return copy.deepcopy(found) if found else None

    def list(self, path: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        self.calls.append(("LIST", path))
        prefix = path + "/"
        return [
            copy.deepcopy(obj)
            for key, obj in sorted(self.objects.items())
            if key.startswith(prefix)
            and "/" not in key[len(prefix) :]
            and _matches(obj, label_selector)
        ]

    def apply(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        path = manifest_path(manifest)
        self.calls.append(("APPLY", path))
        status = self.refuse.get(manifest["kind"], self.fail_apply)
        if status is not None:
            raise ApiException(status=status, reason="Refused", body="denied")
        self.objects[path] = copy.deepcopy(dict(manifest))
        return copy.deepcopy(dict(manifest))

    def merge_patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append(("PATCH", path))
        return dict(body)

    def delete(self, path: str) -> bool:
        self.calls.append(("DELETE", path))
        return self.objects.pop(path, None) is not None
