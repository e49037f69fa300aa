"""The two files the operator mounts in Kubernetes mode, read from disk (shapes: `contract.py`).

`settings.json` is read once at start-up: a bad one stops the hub with a `SettingsError` naming
the file and the key. `gpu.json` is read at every spawn and never stops anything: a missing or
broken one means "no GPU", with the reason (docs/hub-settings.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stellars_hub.contract import ContractError, GpuPlacement, LabSettings
from stellars_hub.profiles import PROFILES_KEY, Profile, ProfileError, profiles_from_json
from stellars_hub.settings import SettingsError


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
    # A bad file is a bad setting: jupyterhub_config.py stops the hub on SettingsError.
    try:
        return LabSettings.from_json(document, source=source)
    except ContractError as error:
        raise SettingsError(str(error)) from error


def read_gpu_placement(path: Path) -> GpuPlacement:
    """Read `gpu.json`; never raises: anything wrong is no GPU with the reason."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return GpuPlacement.disabled(f"no GPU decision file at {path}")
    except OSError as error:
        return GpuPlacement.disabled(f"{path} cannot be read ({error.strerror})")
    except json.JSONDecodeError as error:
        return GpuPlacement.disabled(f"{path} is not valid JSON ({error.msg})")
    try:
        return GpuPlacement.from_json(document, source=str(path))
    except ContractError as error:
        return GpuPlacement.disabled(f"ignored: {error}")


def read_profiles(path: Path) -> tuple[Profile, ...]:
    """The spawn profiles in `gpu.json`; none (one lab shape for all) when it has none or
    cannot be read: a form is never built from a file the hub could not understand."""
    try:
        document = json.loads(path.read_text())
        return profiles_from_json(document.get(PROFILES_KEY) or [], source=str(path))
    except (OSError, json.JSONDecodeError, AttributeError, ProfileError):
        return ()
