"""The two files the operator mounts in Kubernetes mode, read into frozen data.

`settings.json` is read once at start-up: a bad one stops the hub with a `SettingsError` naming
the file and the key. `gpu.json` is read at every spawn and never stops anything: a missing or
broken one means "no GPU", with the reason (docs/hub-settings.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from stellars_hub.auth import SignupPolicy
from stellars_hub.settings import SettingsError

_PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")


@dataclass(frozen=True)
class UserStorage:
    """Sizes of each user's three claims; `storage_class` None means the cluster default."""

    storage_class: str | None = None
    home: str = "1Gi"
    workspace: str = "5Gi"
    cache: str = "1Gi"

    def size(self, suffix: str) -> str:
        sizes = {"home": self.home, "workspace": self.workspace, "cache": self.cache}
        return sizes[suffix]


@dataclass(frozen=True)
class LabSettings:
    """`settings.json`: what the operator decided for this hub's labs."""

    hub_name: str
    notebook_image: str
    user_service_account: str
    image_pull_policy: str = "IfNotPresent"
    storage: UserStorage = UserStorage()
    shared_claim: str | None = None
    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    start_timeout: int = 300
    labels: Mapping[str, str] = field(default_factory=dict)
    signup: SignupPolicy = field(default_factory=SignupPolicy)


@dataclass(frozen=True)
class GpuPlacement:
    """`gpu.json`: whether labs get a GPU and what puts them on a GPU node."""

    enabled: bool
    reason: str
    resource: str = "nvidia.com/gpu"
    count: int = 1
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()


def load_lab_settings(path: Path) -> LabSettings:
    """Read `settings.json`; `SettingsError` names the file and the first bad key."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise SettingsError(f"{path}: cannot be read ({error.strerror})") from error
    except json.JSONDecodeError as error:
        raise SettingsError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from error
    return parse_lab_settings(document, source=str(path))


def parse_lab_settings(document: Any, *, source: str) -> LabSettings:
    reader = _Reader(document, source=source, prefix="")
    storage = reader.child("storage")
    resources = reader.child("resources")
    signup = reader.child("signup")
    return LabSettings(
        hub_name=reader.text("hubName"),
        notebook_image=reader.text("notebookImage"),
        user_service_account=reader.text("userServiceAccount"),
        image_pull_policy=reader.choice("imagePullPolicy", _PULL_POLICIES, "IfNotPresent"),
        storage=UserStorage(
            storage_class=storage.optional_text("storageClass"),
            home=storage.text("home", "1Gi"),
            workspace=storage.text("workspace", "5Gi"),
            cache=storage.text("cache", "1Gi"),
        ),
        shared_claim=reader.optional_text("sharedClaim"),
        requests=resources.strings("requests"),
        limits=resources.strings("limits"),
        extra_env=reader.strings("extraEnv"),
        start_timeout=reader.positive_int("startTimeout", 300),
        labels=reader.strings("labels"),
        signup=SignupPolicy(
            enabled=signup.boolean("enabled", default=True),
            open_signup=signup.boolean("openSignup", default=False),
            minimum_password_length=signup.optional_positive_int("minimumPasswordLength"),
        ),
    )


def read_gpu_placement(path: Path) -> GpuPlacement:
    """Read `gpu.json`; never raises: anything wrong is no GPU with the reason."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return GpuPlacement(enabled=False, reason=f"no GPU decision file at {path}")
    except OSError as error:
        return GpuPlacement(enabled=False, reason=f"{path} cannot be read ({error.strerror})")
    except json.JSONDecodeError as error:
        return GpuPlacement(enabled=False, reason=f"{path} is not valid JSON ({error.msg})")
    try:
        return parse_gpu_placement(document, source=str(path))
    except SettingsError as error:
        return GpuPlacement(enabled=False, reason=f"ignored: {error}")


def parse_gpu_placement(document: Any, *, source: str) -> GpuPlacement:
    reader = _Reader(document, source=source, prefix="")
    enabled = reader.boolean("enabled")
    reason = reader.text("reason", "enabled" if enabled else "disabled")
    if not enabled:
        return GpuPlacement(enabled=False, reason=reason)
    return GpuPlacement(
        enabled=True,
        reason=reason,
        resource=reader.text("resource", "nvidia.com/gpu"),
        count=reader.positive_int("count", 1),
        node_selector=reader.strings("nodeSelector"),
        tolerations=reader.objects("tolerations"),
    )


class _Reader:
    """Typed access to one JSON object; errors name the file and the dotted key."""

    def __init__(self, document: Any, *, source: str, prefix: str) -> None:
        if not isinstance(document, dict):
            where = prefix.rstrip(".") or "the document"
            raise SettingsError(f"{source}: {where} must be a JSON object")
        self._document: dict[str, Any] = document
        self._source = source
        self._prefix = prefix

    def _error(self, key: str, value: Any, accepts: str) -> SettingsError:
        return SettingsError(
            f"{self._source}: {self._prefix}{key}={json.dumps(value)} is not valid: "
            f"expected {accepts}"
        )

    def child(self, key: str) -> _Reader:
        value = self._document.get(key) or {}
        return _Reader(value, source=self._source, prefix=f"{self._prefix}{key}.")

    def text(self, key: str, default: str | None = None) -> str:
        value = self._document.get(key, default)
        if not isinstance(value, str) or not value:
            raise self._error(key, value, "a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        value = self._document.get(key)
        if value is None or value == "":
            return None
        return self.text(key)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self._document.get(key, default)
        if value not in choices:
            raise self._error(key, value, " or ".join(choices))
        return str(value)

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self._document.get(key, default)
        if not isinstance(value, bool):
            raise self._error(key, value, "true or false")
        return value

    def positive_int(self, key: str, default: int) -> int:
        value = self._document.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._error(key, value, "a whole number above 0")
        return int(value)

    def optional_positive_int(self, key: str) -> int | None:
        if self._document.get(key) is None:
            return None
        return self.positive_int(key, 0)

    def strings(self, key: str) -> dict[str, str]:
        value = self._document.get(key) or {}
        # Numbers are accepted as their text: `"cpu": 2` means what `"cpu": "2"` means.
        if not isinstance(value, dict) or not all(
            isinstance(item, str | int | float) and not isinstance(item, bool)
            for item in value.values()
        ):
            raise self._error(key, value, "an object of string values")
        return {str(name): str(item) for name, item in value.items()}

    def objects(self, key: str) -> tuple[Mapping[str, Any], ...]:
        value = self._document.get(key) or []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self._error(key, value, "a list of objects")
        return tuple(value)
