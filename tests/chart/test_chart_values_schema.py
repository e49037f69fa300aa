"""values.schema.json: valid draft-07, documents every key, and rejects bad values clearly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.chart.chart_render import template
from tests.fixtures.paths import CHART

SCHEMA = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
DEFAULTS = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))

# (case, values, fragments Helm's message must contain): each names the key and says why.
BAD_VALUES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "typo-top-level",
        {"watchNamespace": ["a"]},
        ["at ''", "additional properties 'watchNamespace' not allowed"],
    ),
    (
        "typo-nested",
        {"operator": {"resource": {}}},
        ["at '/operator'", "additional properties 'resource' not allowed"],
    ),
    (
        "pull-policy-enum",
        {"operator": {"image": {"pullPolicy": "Sometimes"}}},
        ["at '/operator/image/pullPolicy'", "'Always', 'IfNotPresent', 'Never'"],
    ),
    (
        "repository-with-tag",
        {"operator": {"image": {"repository": "stellars/stellars-operator:0.1.0"}}},
        ["at '/operator/image/repository'", "does not match pattern"],
    ),
    (
        "hub-name-not-dns",
        {"hub": {"name": "My_Hub"}},
        ["at '/hub/name'", "'My_Hub' does not match pattern"],
    ),
    (
        "hub-name-with-the-claim-separator",
        {"hub": {"name": "team--ml"}},
        ["at '/hub/name'", "'team--ml' does not match pattern"],
    ),
    (
        "hub-name-too-long",
        {"hub": {"name": "h" * 41}},
        ["at '/hub/name'", "maxLength: got 41, want 40"],
    ),
    (
        "hub-create-not-boolean",
        {"hub": {"create": "yes"}},
        ["at '/hub/create'", "got string, want boolean"],
    ),
    (
        "hub-spec-not-object",
        {"hub": {"spec": ["hubImage"]}},
        ["at '/hub/spec'", "got array, want object"],
    ),
    (
        "watch-namespaces-duplicate",
        {"watchNamespaces": ["team-a", "team-a"]},
        ["at '/watchNamespaces'", "items at 0 and 1 are equal"],
    ),
    (
        "watch-namespaces-bad-name",
        {"watchNamespaces": ["Team_A"]},
        ["at '/watchNamespaces/0'", "does not match pattern"],
    ),
    (
        "cpu-not-a-quantity",
        {"operator": {"resources": {"limits": {"cpu": "lots"}}}},
        ["at '/operator/resources/limits/cpu'", "'lots' does not match pattern"],
    ),
    (
        "resources-typo",
        {"operator": {"resources": {"limit": {"cpu": "1"}}}},
        ["at '/operator/resources'", "additional properties 'limit' not allowed"],
    ),
    (
        "toleration-operator-enum",
        {"operator": {"tolerations": [{"key": "gpu", "operator": "Exist"}]}},
        ["at '/operator/tolerations/0/operator'", "'Exists', 'Equal'"],
    ),
    (
        "env-without-name",
        {"operator": {"extraEnv": [{"value": "1"}]}},
        ["at '/operator/extraEnv/0'", "missing property 'name'"],
    ),
    (
        "service-account-without-name",
        {"operator": {"serviceAccount": {"create": False}}},
        ["at '/operator/serviceAccount/name'", "minLength: got 0, want 1"],
    ),
    (
        "grace-period-negative",
        {"operator": {"terminationGracePeriodSeconds": -1}},
        ["at '/operator/terminationGracePeriodSeconds'", "minimum: got -1, want 0"],
    ),
    (
        "rbac-create-string",
        {"rbac": {"create": "true"}},
        ["at '/rbac/create'", "got string, want boolean"],
    ),
    (
        "pod-label-value-too-long",
        {"operator": {"podLabels": {"team": "x" * 64}}},
        ["at '/operator/podLabels/team'", "maxLength: got 64, want 63"],
    ),
]


def test_schema_is_valid_draft_07() -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_default_values_satisfy_the_schema() -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(DEFAULTS)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        definition: dict[str, Any] = SCHEMA["definitions"][ref.rsplit("/", 1)[-1]]
        return definition
    return node


def _objects(node: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """Every object schema the chart defines (with declared properties), by dotted path."""
    found = []
    if "properties" in node:
        found.append((path, node))
        for key, child in node["properties"].items():
            found.extend(_objects(_resolve(child), f"{path}.{key}".lstrip(".")))
    return found


def test_every_object_level_rejects_unknown_keys() -> None:
    for path, node in _objects(SCHEMA, ""):
        assert node.get("additionalProperties") is False, f"{path or '<root>'} allows unknown keys"


def test_every_key_of_values_yaml_is_in_the_schema_and_described() -> None:
    def walk(values: dict[str, Any], node: dict[str, Any], path: str) -> None:
        for key, value in values.items():
            where = f"{path}.{key}".lstrip(".")
            assert key in node.get("properties", {}), f"{where} is not in values.schema.json"
            child = node["properties"][key]
            assert "description" in child or "description" in _resolve(child), where
            resolved = _resolve(child)
            if isinstance(value, dict) and "properties" in resolved:
                walk(value, resolved, where)

    walk(DEFAULTS, SCHEMA, "")


def test_every_leaf_key_of_values_yaml_has_a_comment() -> None:
    """values.yaml is the documentation: a comment sits above each key or its group of keys."""
    lines = (CHART / "values.yaml").read_text(encoding="utf-8").splitlines()

    def is_key(line: str) -> bool:
        stripped = line.strip()
        return bool(stripped) and not stripped.startswith(("#", "-")) and ":" in stripped

    def indent(line: str) -> int:
        return len(line) - len(line.lstrip())

    undocumented = []
    for index, line in enumerate(lines):
        if not is_key(line):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        is_container = not line.split(":", 1)[1].strip() and indent(following) > indent(line)
        parent = next(
            (
                lines[i]
                for i in range(index - 1, -1, -1)
                if indent(lines[i]) < indent(line) and is_key(lines[i])
            ),
            "",
        )
        if is_container or parent.strip() in {"requests:", "limits:"}:
            continue  # containers are documented through their keys; quantities are self-evident
        above = index - 1
        while above >= 0 and is_key(lines[above]) and indent(lines[above]) == indent(line):
            above -= 1  # a comment may document a group of sibling keys
        if above < 0 or not lines[above].strip().startswith("#"):
            undocumented.append(f"line {index + 1} ({line.strip()})")
    assert not undocumented, "values.yaml keys without a comment: " + ", ".join(undocumented)


@pytest.mark.parametrize(
    ("case", "values", "fragments"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES]
)
def test_bad_values_are_rejected_with_a_clear_message(
    helm: Path, case: str, values: dict[str, Any], fragments: list[str]
) -> None:
    result = template(helm, values)
    assert result.returncode != 0, f"{case}: helm accepted bad values {values}"
    assert "values don't meet the specifications of the schema" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{case}: {fragment!r} not in:\n{result.stderr}"


@pytest.mark.parametrize(
    ("case", "values", "fragments"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES]
)
def test_bad_values_are_rejected_by_any_draft_07_validator(
    case: str, values: dict[str, Any], fragments: list[str]
) -> None:
    """The same table through python-jsonschema: the schema, not Helm's quirks, rejects them."""
    merged = _merge(DEFAULTS, values)
    errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(merged))
    assert errors, f"{case}: accepted {values}"


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override
