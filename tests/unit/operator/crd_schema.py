"""The CRD's openAPIV3Schema as plain JSON Schema, the API server's defaulting, and its CEL rules.

jsonschema does not know the Kubernetes extensions: int-or-string becomes a type union,
objects with declared properties reject unknown fields (the API server's strict field
validation), and every CEL rule in the CRD is checked through a Python translation below
(a test fails when the CRD gains a rule without one).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_PATH = Path(__file__).resolve().parents[3] / "crds" / "stellarshub.yaml"


def load_crd() -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(CRD_PATH.read_text())
    return crd


def openapi_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    out.pop("default", None)
    if node.get("x-kubernetes-int-or-string"):
        out["type"] = ["integer", "string"]
    if node.get("nullable"):
        out["type"] = [
            *([out["type"]] if isinstance(out.get("type"), str) else out["type"]),
            "null",
        ]
    declared = out.get("type") == "object" and "properties" in out
    if declared and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """Structural defaulting as the API server does it: defaults, then defaults inside them."""
    if isinstance(value, dict) and "properties" in schema:
        for key, sub in schema["properties"].items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                value[key] = apply_defaults(sub, value[key])
    elif isinstance(value, list) and "items" in schema:
        return [apply_defaults(schema["items"], item) for item in value]
    return value


# CEL rule (exactly as in the CRD) -> the same check in Python, on the node the rule sits on.
CEL: dict[str, Callable[[Any], bool]] = {
    (
        "self.metadata.name.size() <= 40"
        " && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')"
    ): (
        lambda o: len(o["metadata"]["name"]) <= 40
        and re.search(r"^[a-z]([-a-z0-9]*[a-z0-9])?$", o["metadata"]["name"]) is not None
    ),
    "!self.metadata.name.contains('--')": lambda o: "--" not in o["metadata"]["name"],
    "self.operator != 'Exists' || !has(self.value)": (
        lambda t: t.get("operator") != "Exists" or "value" not in t
    ),
    "!has(self.existingClaim) || !has(self.storageClass)": (
        lambda s: "existingClaim" not in s or "storageClass" not in s
    ),
    "!has(self.enabled) || !self.enabled || has(self.host)": (
        lambda i: not i.get("enabled") or "host" in i
    ),
    "!has(self.tlsSecretName) || has(self.host)": (
        lambda i: "tlsSecretName" not in i or "host" in i
    ),
    "self.all(k, k.matches('^[A-Za-z_][A-Za-z0-9_]*$'))": (
        lambda env: all(re.search(r"^[A-Za-z_][A-Za-z0-9_]*$", k) for k in env)
    ),
    (
        "[has(self.persistentVolumeClaim), has(self.configMap), has(self.secret),"
        " has(self.emptyDir), has(self.hostPath)].filter(x, x).size() == 1"
    ): (
        lambda v: sum(
            k in v for k in ("persistentVolumeClaim", "configMap", "secret", "emptyDir", "hostPath")
        )
        == 1
    ),
    (
        "self.all(k, k.size() <= 317 && k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?"
        "(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$'))"
    ): (
        lambda selector: all(
            len(k) <= 317
            and re.search(
                r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$",
                k,
            )
            for k in selector
        )
    ),
    "has(self.cidr) != (has(self.namespaceSelector) || has(self.podSelector))": (
        lambda p: ("cidr" in p) != ("namespaceSelector" in p or "podSelector" in p)
    ),
    "self.all(k, k.matches('^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$') && k.size() <= 63)": (
        lambda snippets: all(
            re.search(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$", k) and len(k) <= 63 for k in snippets
        )
    ),
}


def _same_key(new: Any, old: Any, key: str) -> bool:
    return (key in new) == (key in old) and new.get(key) == old.get(key)


# Transition rules (they name `oldSelf`): checked on updates only, as (new, old) -> ok.
TRANSITION_CEL: dict[str, Callable[[Any, Any], bool]] = {
    (
        "has(self.storageClass) == has(oldSelf.storageClass) && (!has(self.storageClass)"
        " || self.storageClass == oldSelf.storageClass)"
    ): lambda new, old: _same_key(new, old, "storageClass"),
    "self == oldSelf": lambda new, old: bool(new == old),
    (
        "!has(oldSelf.enabled) || !oldSelf.enabled || has(oldSelf.existingClaim) ||"
        " ((has(self.size) == has(oldSelf.size) && (!has(self.size) || self.size == oldSelf.size))"
        " && (has(self.accessMode) == has(oldSelf.accessMode) && (!has(self.accessMode)"
        " || self.accessMode == oldSelf.accessMode)) && (has(self.storageClass) =="
        " has(oldSelf.storageClass)"
        " && (!has(self.storageClass) || self.storageClass == oldSelf.storageClass)))"
    ): lambda new, old: (
        not old.get("enabled")
        or "existingClaim" in old
        or all(_same_key(new, old, key) for key in ("size", "accessMode", "storageClass"))
    ),
}


def is_transition_rule(rule: str) -> bool:
    return "oldSelf" in rule


def cel_rules(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(schema path, rule) for every x-kubernetes-validations entry."""
    for rule in schema.get("x-kubernetes-validations", []):
        yield path, rule
    for key, sub in (schema.get("properties") or {}).items():
        yield from cel_rules(sub, f"{path}.{key}" if path else key)
    if "items" in schema:
        yield from cel_rules(schema["items"], f"{path}[]")


def _nodes_at(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(concrete dotted path, node) for every node a schema path ('a.b[].c') reaches."""
    if not path:
        yield "", value
        return
    head, _, rest = path.partition(".")
    key, is_list = (head[:-2], True) if head.endswith("[]") else (head, False)
    if not isinstance(value, dict) or key not in value:
        return
    inner = value[key]
    if is_list:
        for index, item in enumerate(inner or []):
            for sub_path, node in _nodes_at(item, rest):
                yield f"{key}.{index}" + (f".{sub_path}" if sub_path else ""), node
    else:
        for sub_path, node in _nodes_at(inner, rest):
            yield key + (f".{sub_path}" if sub_path else ""), node


def _duplicate_map_keys(schema: dict[str, Any], value: Any, path: str) -> list[tuple[str, str]]:
    """What `x-kubernetes-list-type: map` refuses: two items with the same key fields."""
    errors: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, child in (schema.get("properties") or {}).items():
            if key in value:
                errors += _duplicate_map_keys(child, value[key], f"{path}.{key}".lstrip("."))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen: set[tuple[Any, ...]] = set()
        for index, item in enumerate(value):
            if schema.get("x-kubernetes-list-type") == "map" and isinstance(item, dict):
                identity = tuple(item.get(k) for k in keys)
                if identity in seen:
                    errors.append((f"{path}.{index}", f"Duplicate value: {identity}"))
                seen.add(identity)
            errors += _duplicate_map_keys(schema["items"], item, f"{path}.{index}")
    return errors


def validation_errors(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(dotted path, message) for everything the API server would reject in this object."""
    schema = openapi_schema()
    validator = jsonschema.Draft7Validator(to_json_schema(schema))
    errors = []
    for error in validator.iter_errors(obj):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":  # the API server names the missing field itself
            path.append(re.sub(r"^'(.*)' is a required property$", r"\1", error.message))
        errors.append((".".join(path), error.message))
    errors += _duplicate_map_keys(schema, obj, "")
    if errors:
        return errors  # like the API server, CEL is only evaluated on schema-valid objects
    defaulted = apply_defaults(schema, copy.deepcopy(obj))
    for path, rule in cel_rules(schema):
        if is_transition_rule(rule["rule"]):
            continue  # a create has no old object
        for concrete, node in _nodes_at(defaulted, path):
            if not CEL[rule["rule"]](node):
                errors.append((concrete, rule["message"]))
    return errors
