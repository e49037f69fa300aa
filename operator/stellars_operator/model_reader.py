"""JSON objects into frozen dataclasses, driven by the dataclasses' own fields and type hints.

A field's JSON key is its name in camelCase (or `metadata["key"]`, dotted for a nested place);
a value that is not set takes the field's value in the `default` instance, so every default is
written once, on the model. Errors come from `JsonReader` and name the dotted key.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from stellars_hub.json_reader import JsonReader

Model = TypeVar("Model")


def json_key(name: str) -> str:
    """`delete_user_data_on_hub_delete` -> `deleteUserDataOnHubDelete`."""
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def key_of(field: dataclasses.Field[Any]) -> str:
    key: str = field.metadata.get("key") or json_key(field.name)
    return key


def read_model(cls: type[Model], reader: JsonReader, default: Model) -> Model:
    """Dataclass `cls` from the object `reader` holds; fields not set come from `default`."""
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        *parents, key = key_of(field).split(".")
        place = reader
        for parent in parents:
            place = place.child(parent)
        fallback = getattr(default, field.name)
        values[field.name] = _read_value(hints[field.name], place, key, fallback)
    return cls(**values)


def _read_value(kind: Any, reader: JsonReader, key: str, default: Any) -> Any:
    optional = _optional_of(kind)
    if optional is not None:
        if not reader.has(key):
            return None
        if optional is str:
            return reader.optional_text(key, lenient=True)
        return _read_value(optional, reader, key, optional())
    if kind is str:
        # CRD strings include int-or-string quantities: `cpu: 2` means "2".
        return reader.text(key, default, lenient=True)
    if kind is bool:
        return reader.boolean(key, default)
    if kind is int:
        return reader.integer(key, default)
    if isinstance(kind, type) and issubclass(kind, enum.StrEnum):
        return kind(reader.choice(key, tuple(kind), default))
    if dataclasses.is_dataclass(kind):
        return read_model(kind, reader.child(key), default)  # type: ignore[arg-type]
    origin = typing.get_origin(kind)
    if origin is Mapping:
        # Keys the spec leaves out keep their defaults, as the API server's defaulting does.
        return {**default, **reader.strings(key)}
    if origin is tuple:
        return reader.objects(key)
    raise TypeError(f"no JSON reading for a field of type {kind!r} ({reader.key_path(key)})")


def _optional_of(kind: Any) -> Any:
    """`X` for `X | None`, else None."""
    if typing.get_origin(kind) not in (typing.Union, types.UnionType):
        return None
    others = [arg for arg in typing.get_args(kind) if arg is not type(None)]
    return others[0] if len(others) == 1 else None
