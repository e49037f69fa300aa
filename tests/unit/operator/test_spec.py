"""spec.py: defaults that match the CRD, typed reading, and the checks the schema cannot make."""

from __future__ import annotations

import copy
import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

import pytest

from stellars_operator.model_reader import key_of
from stellars_operator.spec import (
    HubSpec,
    SecretKeyRef,
    SpecError,
    check_hub,
    parse_spec,
)
from tests.unit.operator.conftest import make_hub
from tests.unit.operator.crd_schema import apply_defaults, openapi_schema


def _server_defaulted(spec: dict[str, object]) -> dict[str, object]:
    obj = apply_defaults(openapi_schema(), {"spec": copy.deepcopy(spec)})
    defaulted: dict[str, object] = obj["spec"]
    return defaulted


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"gpu": {"mode": "on"}},
        {"storage": {"shared": {"enabled": True}}},
        {"resources": {"user": {"limits": {"memory": "4Gi"}}}},
        {"exposure": {"ingress": {"enabled": True, "host": "h.example.com"}}},
        {"admin": {"passwordSecretRef": {"name": "s"}}},
    ],
)
def test_defaults_match_the_crd(spec: dict[str, object]) -> None:
    """Reading a spec before or after the API server defaulted it gives the same hub."""
    assert parse_spec(spec) == parse_spec(_server_defaulted(spec))


def test_empty_spec_gives_documented_defaults() -> None:
    spec = parse_spec({})
    assert spec == HubSpec()
    assert spec.base_url == "/jupyterhub"
    assert spec.admin.name == "admin"
    assert spec.admin.password_secret_ref is None
    assert spec.signup.enabled and not spec.signup.open_signup
    assert (spec.storage.home, spec.storage.workspace, spec.storage.cache) == ("1Gi", "5Gi", "1Gi")
    assert spec.storage.delete_user_data_on_hub_delete is False
    assert spec.storage.shared.enabled is False
    assert spec.gpu.mode == "auto" and spec.gpu.per_user == 1
    assert spec.services.mlflow and spec.services.glances and spec.services.tensorboard
    assert spec.exposure.service_type == "ClusterIP"
    assert spec.exposure.ingress.enabled is False
    assert spec.user_resources.limits == {"cpu": "2", "memory": "2Gi"}


def test_full_spec_is_read_into_typed_fields() -> None:
    spec = parse_spec(
        {
            "baseUrl": "/team/",
            "admin": {"name": "chief", "passwordSecretRef": {"name": "pw"}},
            "storage": {"storageClass": "fast", "shared": {"enabled": True, "existingClaim": "c"}},
            "gpu": {
                "mode": "on",
                "perUser": 2,
                "nodeSelector": {"a": "b"},
                "tolerations": [{"key": "k", "operator": "Exists"}],
            },
            "resources": {"user": {"requests": {"cpu": 1}, "limits": {"cpu": 4}}},
            "extraEnv": {"TZ": "UTC"},
        }
    )
    assert spec.base_path == "/team"
    assert spec.admin.password_secret_ref == SecretKeyRef(name="pw", key="password")
    assert spec.storage.storage_class == "fast"
    assert spec.storage.shared.existing_claim == "c"
    assert spec.gpu.per_user == 2 and spec.gpu.node_selector == {"a": "b"}
    assert spec.gpu.tolerations == ({"key": "k", "operator": "Exists"},)
    # integer quantities (int-or-string) become strings
    assert spec.user_resources.requests["cpu"] == "1"
    assert spec.user_resources.limits["cpu"] == "4"
    assert spec.extra_env == {"TZ": "UTC"}


def test_root_base_url_has_an_empty_base_path() -> None:
    assert parse_spec({"baseUrl": "/"}).base_path == ""


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"gpu": {"mode": "sometimes"}}, "spec.gpu.mode"),
        ({"gpu": {"mode": True}}, "spec.gpu.mode"),
        ({"gpu": "yes"}, "spec.gpu"),
        ({"gpu": {"perUser": "1"}}, "spec.gpu.perUser"),
        ({"signup": {"enabled": "yes"}}, "spec.signup.enabled"),
        ({"gpu": {"tolerations": "all"}}, "spec.gpu.tolerations"),
        ({"storage": {"home": None, "cache": []}}, "spec.storage.cache"),
    ],
)
def test_wrong_types_name_the_field(spec: dict[str, object], field: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec(spec)
    assert raised.value.field == field
    assert field in str(raised.value)


def _fields(**spec: object) -> list[str]:
    return [p.field for p in check_hub(make_hub(dict(spec)))]


def test_a_valid_hub_has_no_problems() -> None:
    assert check_hub(make_hub()) == []


def test_request_above_limit_is_a_problem_naming_the_field() -> None:
    fields = _fields(
        resources={"user": {"requests": {"memory": "4Gi"}, "limits": {"memory": "2Gi"}}}
    )
    assert fields == ["spec.resources.user.requests.memory"]
    fields = _fields(resources={"hub": {"requests": {"cpu": "2"}, "limits": {"cpu": "500m"}}})
    assert fields == ["spec.resources.hub.requests.cpu"]


def test_quantity_that_does_not_parse_is_a_problem() -> None:
    assert _fields(resources={"user": {"limits": {"memory": "lots"}}}) == [
        "spec.resources.user.memory"
    ]


@pytest.mark.parametrize(
    ("storage", "field"),
    [
        ({"home": "0"}, "spec.storage.home"),
        ({"workspace": "0Gi"}, "spec.storage.workspace"),
        ({"cache": 0}, "spec.storage.cache"),
        ({"hubData": "0"}, "spec.storage.hubData"),
        ({"shared": {"enabled": True, "size": "0"}}, "spec.storage.shared.size"),
    ],
)
def test_a_size_no_claim_can_have_is_a_problem_naming_the_field(
    storage: dict[str, object], field: str
) -> None:
    problems = check_hub(make_hub({"storage": storage}))
    assert [p.field for p in problems] == [field]
    assert "must be more than 0" in str(problems[0])


def test_a_size_of_a_shared_volume_that_is_off_is_no_problem() -> None:
    assert _fields(storage={"shared": {"enabled": False, "size": "0"}}) == []


def test_a_zero_limit_is_a_problem_naming_the_field() -> None:
    fields = _fields(resources={"user": {"requests": {"memory": "0"}, "limits": {"memory": "0"}}})
    assert fields == ["spec.resources.user.limits.memory"]


def test_ingress_without_host_is_a_problem() -> None:
    assert _fields(exposure={"ingress": {"enabled": True}}) == ["spec.exposure.ingress.host"]


def test_base_url_without_slash_is_a_problem() -> None:
    assert _fields(baseUrl="hub") == ["spec.baseUrl"]


@pytest.mark.parametrize("name", ["a" * 41, "1hub", "Hub", "hub-", "hub_x"])
def test_bad_hub_names_are_problems(name: str) -> None:
    problems = check_hub(make_hub(name=name))
    assert [p.field for p in problems] == ["metadata.name"]


def test_longest_allowed_hub_name_keeps_children_names_within_63() -> None:
    assert check_hub(make_hub(name="a" * 40)) == []
    assert len("a" * 40 + "-proxy-public") <= 63


# --- the CRD's defaults and the models' are the same ---------------------------------------


def _crd_defaults(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """Dotted path -> default, for every field whose default is a value (not `{}`)."""
    found: dict[str, Any] = {}
    for key, sub in (schema.get("properties") or {}).items():
        where = f"{path}.{key}"
        if "default" in sub and sub["default"] != {}:
            found[where] = sub["default"]
        found.update(_crd_defaults(sub, where))
    return found


def _model_defaults(model: Any, path: str) -> dict[str, Any]:
    """Dotted path -> default, for every field of the models that has a value by default."""
    found: dict[str, Any] = {}
    hints = typing.get_type_hints(type(model))
    for field in dataclasses.fields(model):
        where = f"{path}.{key_of(field)}"
        value = getattr(model, field.name)
        nested = typing.get_args(hints[field.name])[0] if value is None else type(value)
        if dataclasses.is_dataclass(nested):
            # an optional object (passwordSecretRef) has defaults once it is there
            found.update(_model_defaults(value if value is not None else nested(), where))
        elif isinstance(value, Mapping):
            found.update({f"{where}.{k}": v for k, v in value.items()})
        elif value not in (None, "", ()):
            found[where] = value
    return found


def test_every_crd_default_is_the_models_default_and_back() -> None:
    spec_schema = openapi_schema()["properties"]["spec"]
    assert _model_defaults(HubSpec(), "spec") == _crd_defaults(spec_schema, "spec")
