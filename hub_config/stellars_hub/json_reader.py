"""Typed reading of one JSON object whose errors name the dotted key; standard library only.

The operator reads StellarsHub specs with it and the hub reads the operator's files with it,
so both sides check values the same way. Who reads decides what an error looks like: the
reader hands `(dotted key, value, what was expected)` to its `fail` function and raises what
that returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# (dotted key, the value found, what would have been accepted) -> the error to raise.
Fail = Callable[[str, Any, str], Exception]


class JsonReader:
    """Typed access to the keys of one JSON object; `path` is its dotted place in the document."""

    def __init__(self, document: Any, *, fail: Fail, path: str = "") -> None:
        if not isinstance(document, Mapping):
            raise fail(path, document, "an object")
        self._document: Mapping[str, Any] = document
        self._fail = fail
        self.path = path

    def key_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, value: Any, accepts: str) -> Exception:
        return self._fail(self.key_path(key), value, accepts)

    def _get(self, key: str, default: Any) -> Any:
        # JSON null and a missing key mean the same: "not set".
        value = self._document.get(key)
        return default if value is None else value

    def has(self, key: str) -> bool:
        return self._document.get(key) is not None

    def child(self, key: str) -> JsonReader:
        """The object under `key`; a missing one reads as empty."""
        return JsonReader(self._get(key, {}), fail=self._fail, path=self.key_path(key))

    def text(self, key: str, default: str | None = None, *, lenient: bool = False) -> str:
        """A non-empty string. `lenient`: numbers are read as their text and "" is accepted
        (a Kubernetes int-or-string quantity such as `cpu: 2` means "2")."""
        value = self._get(key, default)
        if lenient and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str) or not (value or lenient):
            raise self.error(key, value, "a string" if lenient else "a non-empty string")
        return value

    def optional_text(self, key: str, *, lenient: bool = False) -> str | None:
        """Like `text`, but unset and "" are None."""
        if self._document.get(key) in (None, ""):
            return None
        return self.text(key, lenient=lenient)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self._get(key, default)
        if not isinstance(value, str) or value not in choices:
            raise self.error(key, value, " or ".join(choices))
        return value

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, value, "true or false")
        return value

    def integer(self, key: str, default: int | None = None, *, minimum: int | None = None) -> int:
        value = self._get(key, default)
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok or (minimum is not None and value < minimum):
            raise self.error(key, value, _whole_number(minimum))
        return int(value)

    def optional_integer(self, key: str, *, minimum: int | None = None) -> int | None:
        return self.integer(key, minimum=minimum) if self.has(key) else None

    def strings(self, key: str) -> dict[str, str]:
        """An object of strings; numbers are read as their text (`"cpu": 2` means "2")."""
        value = self._get(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(item, str | int | float) and not isinstance(item, bool)
            for item in value.values()
        ):
            raise self.error(key, value, "an object of string values")
        return {str(name): str(item) for name, item in value.items()}

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of non-empty strings (unset: empty)."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.error(key, value, "a list of non-empty strings")
        return tuple(value)

    def objects(self, key: str) -> tuple[dict[str, Any], ...]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise self.error(key, value, "a list of objects")
        return tuple(dict(item) for item in value)


def _whole_number(minimum: int | None) -> str:
    if minimum is None:
        return "an integer"
    if minimum == 1:
        return "a whole number above 0"
    return f"a whole number of at least {minimum}"
