"""delete_hub.py, the uninstall hook: delete the hub, wait until the operator has let it go."""

from __future__ import annotations

from typing import Any

import pytest

from stellars_operator.delete_hub import DEFAULT_TIMEOUT_S, HubToDelete, delete_and_wait
from tests.unit.operator.fake_kube import FakeKube

HUB = {
    "apiVersion": "stellars.io/v1alpha1",
    "kind": "StellarsHub",
    "metadata": {
        "name": "lab",
        "namespace": "team",
        "finalizers": ["kopf.zalando.org/KopfFinalizerMarker"],
    },
}


class FinalizingKube(FakeKube):
    """A hub held by the operator's finalizer: deleted, it is still read `lives` more times."""

    def __init__(self, *, exists: bool, lives: int) -> None:
        super().__init__(*([HUB] if exists else []))
        self.lives, self.hub_deleted = lives, False

    def delete(self, path: str) -> bool:
        self.calls.append(("DELETE", path))
        self.hub_deleted = path in self.objects
        return self.hub_deleted

    def get(self, path: str) -> dict[str, Any] | None:
        if self.hub_deleted and self.lives <= 0:
            self.objects.pop(path, None)
        found = super().get(path)
        if found is not None:
            self.lives -= 1
        return found


def _run(kube: FinalizingKube, *, timeout_s: int = DEFAULT_TIMEOUT_S) -> int:
    hub = HubToDelete(namespace="team", name="lab", timeout_s=timeout_s)
    return 0 if delete_and_wait(kube, hub, sleep=lambda _: None) else 1


def test_waits_until_the_operator_has_let_the_hub_go(capsys: pytest.CaptureFixture[str]) -> None:
    hubs = FinalizingKube(exists=True, lives=3)
    assert _run(hubs) == 0
    assert hubs.hub_deleted and hubs.lives == 0
    assert hubs.deleted() == ["/apis/stellars.io/v1alpha1/namespaces/team/stellarshubs/lab"]
    assert "stellarshub team/lab is gone" in capsys.readouterr().out


def test_a_missing_hub_is_fine(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(FinalizingKube(exists=False, lives=0)) == 0
    assert "does not exist: nothing to delete" in capsys.readouterr().out


def test_a_hub_that_stays_fails_the_uninstall_with_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(FinalizingKube(exists=True, lives=10**6), timeout_s=0) == 1
    assert "is the operator running?" in capsys.readouterr().err


def test_the_wait_ends_at_the_timeout_by_the_clock() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    kube = FinalizingKube(exists=True, lives=10**6)
    hub = HubToDelete(namespace="team", name="lab", timeout_s=10)
    assert not delete_and_wait(kube, hub, sleep=sleep, clock=lambda: now[0])
    assert now[0] == 10.0


def test_the_job_environment_names_the_hub() -> None:
    hub = HubToDelete.from_environment(
        {"HUB_NAMESPACE": "team", "HUB_NAME": "lab", "DELETE_TIMEOUT_SECONDS": "30"}
    )
    assert hub == HubToDelete(namespace="team", name="lab", timeout_s=30)
    assert hub.path == "/apis/stellars.io/v1alpha1/namespaces/team/stellarshubs/lab"
    default = HubToDelete.from_environment({"HUB_NAMESPACE": "team", "HUB_NAME": "lab"})
    assert default.timeout_s == DEFAULT_TIMEOUT_S == 240


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HUB_NAME": "lab"}, "HUB_NAMESPACE must be set"),
        ({}, "HUB_NAMESPACE and HUB_NAME must be set"),
        (
            {"HUB_NAMESPACE": "team", "HUB_NAME": "lab", "DELETE_TIMEOUT_SECONDS": "4m"},
            "DELETE_TIMEOUT_SECONDS must be a whole number of seconds, got '4m'",
        ),
    ],
)
def test_a_bad_job_environment_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HubToDelete.from_environment(environ)
