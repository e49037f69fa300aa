"""model_reader.py: dataclasses read from JSON by their fields, defaults from an instance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from stellars_hub.contract import GpuMode
from stellars_hub.json_reader import JsonReader
from stellars_operator.model_reader import json_key, read_model


class RefusedError(Exception):
    pass


def _fail(key: str, value: Any, accepts: str) -> RefusedError:
    return RefusedError(f"{key}: must be {accepts}")


@dataclass(frozen=True)
class Ref:
    name: str = ""
    key: str = "password"


@dataclass(frozen=True)
class Inner:
    size: str = "1Gi"
    limits: Mapping[str, str] = field(default_factory=lambda: {"cpu": "1", "memory": "1Gi"})


@dataclass(frozen=True)
class Outer:
    mode: GpuMode = GpuMode.AUTO
    per_user: int = 1
    enabled: bool = False
    class_name: str | None = None
    ref: Ref | None = None
    inner: Inner = field(default_factory=Inner)
    moved: Inner = field(default=Inner(size="2Gi"), metadata={"key": "place.moved"})
    items: tuple[Mapping[str, Any], ...] = ()


def read(raw: dict[str, Any]) -> Outer:
    return read_model(Outer, JsonReader(raw, fail=_fail, path="spec"), Outer())


def test_json_keys_are_camel_case() -> None:
    assert json_key("delete_user_data_on_hub_delete") == "deleteUserDataOnHubDelete"
    assert json_key("mode") == "mode"


def test_an_empty_object_is_the_default_instance() -> None:
    assert read({}) == Outer()


def test_every_kind_of_field_is_read() -> None:
    outer = read(
        {
            "mode": "on",
            "perUser": 2,
            "enabled": True,
            "className": "nginx",
            "ref": {"name": "pw"},
            "inner": {"size": 3, "limits": {"memory": "4Gi"}},
            "place": {"moved": {"size": "5Gi"}},
            "items": [{"key": "k"}],
        }
    )
    assert outer.mode is GpuMode.ON
    assert (outer.per_user, outer.enabled, outer.class_name) == (2, True, "nginx")
    assert outer.ref == Ref(name="pw", key="password")
    # a quantity may be a number; a partial map keeps the other keys' defaults
    assert outer.inner == Inner(size="3", limits={"cpu": "1", "memory": "4Gi"})
    assert outer.moved == Inner(size="5Gi")
    assert outer.items == ({"key": "k"},)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"mode": "sometimes"}, "spec.mode: must be off or on or auto"),
        ({"perUser": "1"}, "spec.perUser: must be an integer"),
        ({"inner": []}, "spec.inner: must be an object"),
        ({"place": {"moved": {"size": []}}}, "spec.place.moved.size: must be a string"),
        ({"ref": {"key": {}}}, "spec.ref.key: must be a string"),
    ],
)
def test_errors_name_the_field(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(RefusedError) as raised:
        read(raw)
    assert str(raised.value) == message


def test_a_field_type_without_a_reading_is_a_programming_error() -> None:
    @dataclass(frozen=True)
    class Odd:
        ratio: float = 0.5

    with pytest.raises(TypeError, match=r"spec\.ratio"):
        read_model(Odd, JsonReader({}, fail=_fail, path="spec"), Odd())
