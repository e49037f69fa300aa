"""The CRD: names and columns, a description on every field, examples valid, bad specs rejected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.operator.crd_schema import (
    CEL,
    TRANSITION_CEL,
    apply_defaults,
    cel_rules,
    load_crd,
    openapi_schema,
    validation_errors,
)

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
BAD_SPECS: list[dict[str, Any]] = yaml.safe_load(
    (REPO / "tests" / "fixtures" / "bad_specs.yaml").read_text()
)


def _hub(spec: dict[str, Any], name: str = "bad") -> dict[str, Any]:
    return {
        "apiVersion": "stellars.io/v1alpha1",
        "kind": "StellarsHub",
        "metadata": {"name": name, "namespace": "team"},
        "spec": spec,
    }


def test_names_scope_and_subresources_follow_the_design() -> None:
    spec = load_crd()["spec"]
    assert spec["group"] == "stellars.io"
    assert spec["scope"] == "Namespaced"
    assert spec["names"]["kind"] == "StellarsHub"
    assert spec["names"]["plural"] == "stellarshubs"
    assert spec["names"]["shortNames"] == ["shub"]
    (version,) = spec["versions"]
    assert version["name"] == "v1alpha1"
    assert version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns == {
        "Phase": ".status.phase",
        "URL": ".status.url",
        "GPU": ".status.gpu.summary",
        "Age": ".metadata.creationTimestamp",
    }


def _fields(schema: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for key, sub in (schema.get("properties") or {}).items():
        found.append((f"{path}.{key}", sub))
        found += _fields(sub, f"{path}.{key}")
    if "items" in schema:
        found.append((f"{path}[]", schema["items"]))
        found += _fields(schema["items"], f"{path}[]")
    return found


def test_every_field_has_a_description() -> None:
    fields = _fields(openapi_schema(), "")
    # metadata is the API server's: a CRD may not describe it.
    missing = [p for p, s in fields if not s.get("description") and p != ".metadata"]
    assert len(fields) > 80
    assert missing == []


def test_nested_objects_default_to_empty_so_inner_defaults_apply() -> None:
    spec_schema = openapi_schema()["properties"]["spec"]
    defaulted = apply_defaults(openapi_schema(), {"spec": {}})["spec"]
    assert defaulted["gpu"] == {"mode": "auto", "perUser": 1, "profiles": "auto"}
    assert defaulted["resources"]["user"]["limits"] == {"cpu": "2", "memory": "2Gi"}
    assert defaulted["storage"]["shared"]["enabled"] is False
    for key, sub in spec_schema["properties"].items():
        if sub.get("type") == "object" and "properties" in sub and key != "admin":
            assert sub.get("default") == {}, key


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate(path: Path) -> None:
    example = yaml.safe_load(path.read_text())
    assert validation_errors(example) == []


def test_there_are_the_four_examples() -> None:
    assert {p.name for p in EXAMPLES} >= {"minimal.yaml", "full.yaml", "gpu.yaml", "ingress.yaml"}


def test_at_least_fifteen_malformed_specs() -> None:
    assert len(BAD_SPECS) >= 15
    assert len({case["name"] for case in BAD_SPECS}) == len(BAD_SPECS)


@pytest.mark.parametrize("case", BAD_SPECS, ids=[c["name"] for c in BAD_SPECS])
def test_malformed_spec_is_rejected_at_its_field(case: dict[str, Any]) -> None:
    errors = validation_errors(_hub(case["spec"], case.get("hubName", "bad")))
    assert errors, f"accepted: {case['spec']}"
    paths = [path for path, _ in errors]
    assert any(p == case["path"] or p.startswith(case["path"]) for p in paths), errors


def test_every_cel_rule_has_a_python_translation() -> None:
    rules = [rule["rule"] for _, rule in cel_rules(openapi_schema())]
    assert rules, "the CRD has CEL rules"
    assert set(rules) == set(CEL) | set(TRANSITION_CEL)
    for _, rule in cel_rules(openapi_schema()):
        assert rule.get("message"), rule


def test_what_claims_are_made_with_is_fixed_once_the_hub_exists() -> None:
    rules = {path: rule["rule"] for path, rule in cel_rules(openapi_schema())}
    storage = TRANSITION_CEL[rules["spec.storage"]]
    shared = TRANSITION_CEL[
        next(r for p, r in cel_rules_at(openapi_schema(), "spec.storage.shared") if "oldSelf" in r)
    ]
    assert not storage({"storageClass": "fast"}, {})
    assert not storage({"storageClass": "fast"}, {"storageClass": "standard"})
    assert storage({"storageClass": "standard", "home": "9Gi"}, {"storageClass": "standard"})
    assert not TRANSITION_CEL[rules["spec.storage.hubData"]]("5Gi", "1Gi")
    on = {"enabled": True, "size": "10Gi", "accessMode": "ReadWriteMany"}
    assert not shared({**on, "size": "20Gi"}, on)
    assert shared({**on, "size": "20Gi", "enabled": False}, {**on, "enabled": False})
    assert shared({**on, "enabled": False}, on)


def cel_rules_at(schema: dict[str, Any], path: str) -> list[tuple[str, str]]:
    return [(p, rule["rule"]) for p, rule in cel_rules(schema) if p == path]
