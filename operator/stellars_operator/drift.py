"""Whether a live child already holds what the operator would apply, so the apply can be skipped.

Pure. A desired manifest is first stamped with the hash of its own content (`stamp`); the live
object holds it (`drifted` is False) when it carries that stamp and every field of the manifest
with the same value. The stamp catches a field the operator stopped rendering (an apply would
remove it); the field comparison catches an edit by someone else. Fields the API server adds
(defaults, status, other managers' fields) do not count: an apply would not touch them either.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from stellars_operator.constants import MANIFEST_HASH_ANNOTATION
from stellars_operator.spec import quantity

# Values the API server drops when they are empty (`omitempty`): absent equals these.
_EMPTY: tuple[Any, ...] = (None, {}, [], "", False)


def _hashed_content(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    # A Secret's values stay out of the stamp (it is readable by anyone who reads the object's
    # metadata); its keys count, and the values are still compared field by field.
    if manifest.get("kind") == "Secret":
        data = manifest.get("data") or {}
        return {**manifest, "data": {key: "" for key in data}}
    return manifest


def manifest_hash(manifest: Mapping[str, Any]) -> str:
    text = json.dumps(_hashed_content(manifest), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def stamp(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `manifest` annotated with the hash of its content."""
    stamped = copy.deepcopy(dict(manifest))
    meta = stamped.setdefault("metadata", {})
    meta["annotations"] = {
        **(meta.get("annotations") or {}),
        MANIFEST_HASH_ANNOTATION: manifest_hash(manifest),
    }
    return stamped


def _same_scalar(live: Any, wanted: Any) -> bool:
    if live == wanted:
        return True
    # The API server rewrites quantities in canonical form ("0.5" -> "500m", "1024Mi" -> "1Gi").
    if isinstance(live, str) and isinstance(wanted, str):
        try:
            return quantity(live) == quantity(wanted)
        except (ValueError, ArithmeticError):
            return False
    return False


def holds(live: Any, wanted: Any) -> bool:
    """Whether `live` has every field of `wanted` with the same value (lists element by element)."""
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            return False
        return all(
            holds(live[key], value) if key in live else value in _EMPTY
            for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        if not isinstance(live, list) or len(live) != len(wanted):
            return False
        return all(holds(a, b) for a, b in zip(live, wanted, strict=True))
    return _same_scalar(live, wanted)


def drifted(stamped: Mapping[str, Any], live: Mapping[str, Any] | None) -> bool:
    """True when applying the stamped manifest would change the live object (or create it)."""
    return live is None or not holds(live, stamped)
