"""The uninstall hook's script (files/delete_hub.py): delete the hub, wait until it is gone."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from tests.chart.chart_binaries import CHART


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("delete_hub", CHART / "files" / "delete_hub.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeHubs:
    """CustomObjectsApi for one hub that disappears after `lives` more reads."""

    def __init__(self, *, exists: bool, lives: int) -> None:
        self.exists, self.lives, self.deleted = exists, lives, False

    def delete_namespaced_custom_object(self, *args: Any) -> None:
        assert args == ("stellars.io", "v1alpha1", "team", "stellarshubs", "lab")
        if not self.exists:
            raise ApiException(status=404)
        self.deleted = True

    def get_namespaced_custom_object(self, *args: Any) -> dict[str, Any]:
        if self.lives <= 0:
            raise ApiException(status=404)
        self.lives -= 1
        return {}


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = _load()
    monkeypatch.setenv("HUB_NAMESPACE", "team")
    monkeypatch.setenv("HUB_NAME", "lab")
    monkeypatch.setattr(module.config, "load_incluster_config", lambda: None)
    monkeypatch.setattr(module.time, "sleep", lambda _: None)
    return module


def _run(hook: ModuleType, monkeypatch: pytest.MonkeyPatch, hubs: FakeHubs) -> int:
    monkeypatch.setattr(hook.client, "CustomObjectsApi", lambda: hubs)
    return int(hook.main())


def test_waits_until_the_operator_has_let_the_hub_go(
    hook: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hubs = FakeHubs(exists=True, lives=3)
    assert _run(hook, monkeypatch, hubs) == 0
    assert hubs.deleted and hubs.lives == 0
    assert "stellarshub team/lab is gone" in capsys.readouterr().out


def test_a_missing_hub_is_fine(hook: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(hook, monkeypatch, FakeHubs(exists=False, lives=0)) == 0


def test_a_hub_that_stays_fails_the_uninstall_with_a_hint(
    hook: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DELETE_TIMEOUT_SECONDS", "0")
    assert _run(hook, monkeypatch, FakeHubs(exists=True, lives=10**6)) == 1
    assert "is the operator running?" in capsys.readouterr().err
