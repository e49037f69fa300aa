"""A `KubeClient` whose reads of the operator's own children come from its watch streams.

kopf watches every kind the operator renders, only objects labelled `managed-by=stellars-operator`
(`CHILD_SELECTOR`: what `labels.children_selector` finds), and keeps them in indexes
(handlers/indexes.py). `WatchedKube` answers `get` and the children `list` from those, falls back
to the API for anything they do not hold (a Secret the spec names, an object not created yet),
and passes writes through, remembering what they returned so a pass reads its own writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from stellars_operator.apply import PRUNABLE_KINDS
from stellars_operator.kube import RESOURCES, KubeClient, manifest_path
from stellars_operator.labels import INSTANCE_KEY, MANAGED_BY, MANAGED_BY_KEY

# Every kind the operator renders (claims and the Secret too: observed, never pruned).
CHILD_KINDS: Final = (*PRUNABLE_KINDS, ("v1", "PersistentVolumeClaim"), ("v1", "Secret"))


def _kopf_resource(api_version: str, kind: str) -> tuple[str, str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version, RESOURCES[(api_version, kind)][0]


# The same kinds as kopf names them: (group, version, plural).
CHILD_RESOURCES: Final = tuple(_kopf_resource(*kind) for kind in CHILD_KINDS)
# What the watches of CHILD_KINDS ask the API server for (server-side filtering).
CHILD_SELECTOR: Final = f"{MANAGED_BY_KEY}={MANAGED_BY}"

# An index key: ("name", namespace, name) finds one child, ("hub", namespace, hub) all of a
# hub's children of the kind.
IndexKey = tuple[str, str, str]
# (plural, index key) -> the objects the index holds under that key
Lookup = Callable[[str, IndexKey], Iterable[Mapping[str, Any]]]

_PLURALS: Final = {RESOURCES[kind][0]: kind for kind in CHILD_KINDS}


def index_entries(obj: Mapping[str, Any]) -> dict[IndexKey, Mapping[str, Any]]:
    """The index entries of one child: under its name and under its hub."""
    meta = obj.get("metadata") or {}
    namespace = str(meta.get("namespace", ""))
    instance = str((meta.get("labels") or {}).get(INSTANCE_KEY, ""))
    return {("name", namespace, str(meta.get("name", ""))): obj, ("hub", namespace, instance): obj}


def _parse(path: str) -> tuple[str, str, str | None] | None:
    """(plural, namespace, name or None) of a path to a watched kind's object or collection."""
    parts = path.strip("/").split("/")
    rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
    if len(rest) not in (3, 4) or rest[0] != "namespaces" or rest[2] not in _PLURALS:
        return None
    return rest[2], rest[1], rest[3] if len(rest) == 4 else None


def _selected_hub(label_selector: str | None) -> str | None:
    """The hub a `labels.children_selector` names; None for any other selector."""
    terms = dict(term.split("=", 1) for term in (label_selector or "").split(",") if "=" in term)
    if set(terms) != {INSTANCE_KEY, MANAGED_BY_KEY} or terms[MANAGED_BY_KEY] != MANAGED_BY:
        return None
    return terms[INSTANCE_KEY]


class WatchedKube(KubeClient):
    """Reads from the watch indexes where they hold the answer, else from `api`."""

    def __init__(self, api: KubeClient, lookup: Lookup) -> None:
        self.api = api
        self.lookup = lookup
        self.written: dict[str, dict[str, Any] | None] = {}  # path -> this pass's last write

    def get(self, path: str) -> dict[str, Any] | None:
        if path in self.written:
            return self.written[path]
        plural, namespace, name = _parse(path) or ("", "", None)
        for obj in self.lookup(plural, ("name", namespace, name)) if name else ():
            return dict(obj)
        return self.api.get(path)

    def list(self, path: str, *, label_selector: str | None = None) -> list[dict[str, Any]]:
        plural, namespace, name = _parse(path) or ("", "", None)
        hub = _selected_hub(label_selector)
        if not plural or name is not None or hub is None:
            return self.api.list(path, label_selector=label_selector)
        items = [dict(obj) for obj in self.lookup(plural, ("hub", namespace, hub))]
        # what this pass deleted is gone already, whatever the watch has not yet said
        return [item for item in items if self.written.get(_item_path(path, item), item)]

    def apply(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        result = self.api.apply(manifest)
        self.written[manifest_path(manifest)] = result
        return result

    def merge_patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.api.merge_patch(path, body)

    def delete(self, path: str) -> bool:
        self.written[path] = None
        return self.api.delete(path)


def _item_path(collection: str, item: Mapping[str, Any]) -> str:
    return f"{collection}/{(item.get('metadata') or {}).get('name', '')}"
