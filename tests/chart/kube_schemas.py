"""Kubernetes OpenAPI v2 and CRDs -> kubeconform's JSON Schema files, offline.

kubeconform normally downloads per-kind schemas; here they are generated from the OpenAPI v2
document of kube-apiserver v1.33.13 (tests/fixtures/k8s-openapi/) like openapi2jsonschema does:
one file per kind holding the kind's definition and every definition it references, strict
(unknown fields are errors, as with `kubectl apply`'s default server-side field validation),
with int-or-string and quantities accepting what the API server accepts. Only stable API versions
(v1, v2, ...) get a file, so a manifest that uses an alpha or beta API fails validation.

Run as a script to write the schemas into a folder:
    python tests/chart/kube_schemas.py OUT_DIR [CRD.yaml ...]
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SWAGGER = REPO / "tests" / "fixtures" / "k8s-openapi" / "v1.33.13-swagger.json.gz"
DRAFT = "http://json-schema.org/draft-07/schema#"
# kubeconform's -schema-location template for the layout written here. For the core group
# (apiVersion "v1") kubeconform's {{ .Group }} is "v1".
LOCATION_TEMPLATE = "{{ .Group }}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json"
STABLE_VERSION = re.compile(r"^v[0-9]+$")
REF_PREFIX = "#/definitions/"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

Schema = dict[str, Any]


def load_swagger(path: Path = SWAGGER) -> Schema:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        swagger: Schema = json.load(handle)
    return swagger


def schema_path(out_dir: Path, *, group: str, version: str, kind: str) -> Path:
    """Where kubeconform looks for a kind, given LOCATION_TEMPLATE."""
    return out_dir / (group or version) / version / f"{kind.lower()}.json"


def _walk(node: Any) -> Iterator[Schema]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _refs(node: Any) -> Iterator[str]:
    for schema in _walk(node):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]


def _closure(definitions: Schema, root: str) -> list[str]:
    seen: list[str] = []
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        todo.extend(ref for ref in _refs(definitions[name]) if ref not in seen)
    return sorted(seen)


def _make_strict(schema: Schema) -> None:
    """Objects with declared properties reject unknown ones, unless they preserve unknowns."""
    for node in _walk(schema):
        if (
            isinstance(node.get("properties"), dict)
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False


def _core_definitions(swagger: Schema) -> Schema:
    definitions: Schema = copy.deepcopy(swagger["definitions"])
    definitions[INT_OR_STRING] = {
        "description": "an integer or a string",
        "oneOf": [{"type": "string"}, {"type": "integer"}],
    }
    definitions[QUANTITY] = {
        "description": "a quantity such as 500m, 2 or 1Gi",
        "oneOf": [{"type": "string"}, {"type": "number"}],
    }
    for definition in definitions.values():
        _make_strict(definition)
    return definitions


def kind_schemas(swagger: Schema) -> Iterator[tuple[tuple[str, str, str], Schema]]:
    """((group, version, kind), schema) for every stable kind of the API server."""
    definitions = _core_definitions(swagger)
    for name, definition in sorted(swagger["definitions"].items()):
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            if not STABLE_VERSION.match(gvk["version"]) or gvk["kind"].endswith("List"):
                continue
            schema = {
                "$schema": DRAFT,
                "allOf": [{"$ref": REF_PREFIX + name}],
                "definitions": {ref: definitions[ref] for ref in _closure(definitions, name)},
            }
            yield (gvk["group"], gvk["version"], gvk["kind"]), schema


def _crd_node(node: Any) -> Any:
    """A CRD's structural schema in JSON Schema terms (int-or-string, nullable, strict)."""
    if isinstance(node, list):
        return [_crd_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {key: _crd_node(value) for key, value in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def crd_schemas(crd: Schema, swagger: Schema) -> Iterator[tuple[tuple[str, str, str], Schema]]:
    """((group, version, kind), schema) for each version a CRD serves."""
    definitions = _core_definitions(swagger)
    meta = {ref: definitions[ref] for ref in _closure(definitions, OBJECT_META)}
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    for version in crd["spec"]["versions"]:
        if not version.get("served", True):
            continue
        body = _crd_node(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
        properties = body.setdefault("properties", {})
        properties["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        properties["kind"] = {"type": "string", "enum": [kind]}
        properties["metadata"] = {"$ref": REF_PREFIX + OBJECT_META}
        _make_strict(body)
        schema = {"$schema": DRAFT, **body, "definitions": meta}
        yield (group, version["name"], kind), schema


def write_schemas(out_dir: Path, *, crd_files: Iterable[Path] = ()) -> int:
    """Writes every stable kind's schema and each CRD's; returns how many files it wrote."""
    swagger = load_swagger()
    written = 0
    sources: list[Iterator[tuple[tuple[str, str, str], Schema]]] = [kind_schemas(swagger)]
    for crd_file in crd_files:
        for document in yaml.safe_load_all(crd_file.read_text(encoding="utf-8")):
            if document and document.get("kind") == "CustomResourceDefinition":
                sources.append(crd_schemas(document, swagger))
    for source in sources:
        for (group, version, kind), schema in source:
            path = schema_path(out_dir, group=group, version=version, kind=kind)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schema), encoding="utf-8")
            written += 1
    return written


if __name__ == "__main__":
    count = write_schemas(Path(sys.argv[1]), crd_files=[Path(arg) for arg in sys.argv[2:]])
    print(f"wrote {count} schemas into {sys.argv[1]}")
