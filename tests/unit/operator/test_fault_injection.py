"""fault_injection.py: the kill switch counts the operator's writes and fires before the n-th."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from stellars_operator.fault_injection import KILL_AT_VARIABLE, WriteKillSwitch, parse_kill_at
from stellars_operator.kube import Kube


def test_off_unless_the_variable_is_set() -> None:
    assert parse_kill_at({}) is None
    assert parse_kill_at({KILL_AT_VARIABLE: " "}) is None
    assert not WriteKillSwitch.from_environment({}).armed


def test_reads_a_positive_write_number() -> None:
    assert parse_kill_at({KILL_AT_VARIABLE: "7"}) == 7
    assert WriteKillSwitch.from_environment({KILL_AT_VARIABLE: "2"}).kill_at == 2


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5"])
def test_rejects_what_is_not_a_positive_integer(raw: str) -> None:
    with pytest.raises(ValueError, match=KILL_AT_VARIABLE):
        parse_kill_at({KILL_AT_VARIABLE: raw})


def test_kills_exactly_before_the_chosen_write() -> None:
    kills: list[int] = []
    switch = WriteKillSwitch(3, kill=lambda: kills.append(switch.writes))
    for _ in range(5):
        switch.before_write("APPLY", "/api/v1/namespaces/n/configmaps/c")
    assert kills == [3]
    assert switch.writes == 5


def test_disarmed_switch_never_kills() -> None:
    switch = WriteKillSwitch(None, kill=lambda: pytest.fail("killed"))
    for _ in range(3):
        switch.before_write("DELETE", "/api/v1/namespaces/n/pods/p")
    assert switch.writes == 0


class RecordingKube(Kube):
    """A Kube whose requests are recorded instead of sent."""

    def __init__(self, events: list[str], switch: WriteKillSwitch) -> None:
        super().__init__(None, before_write=switch.before_write)  # type: ignore[arg-type]
        self.events = events

    def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        self.events.append(f"sent {method} {path}")
        return {}


def test_kube_asks_the_switch_before_each_write_and_not_before_reads() -> None:
    events: list[str] = []
    switch = WriteKillSwitch(3, kill=lambda: events.append("killed"))
    kube = RecordingKube(events, switch)
    manifest: Mapping[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "n"},
    }
    kube.get("/api/v1/namespaces/n/configmaps/c")
    kube.apply(manifest)
    kube.merge_patch("/api/v1/namespaces/n/configmaps/c", {"data": {}})
    kube.delete("/api/v1/namespaces/n/configmaps/c")
    assert events == [
        "sent GET /api/v1/namespaces/n/configmaps/c",
        "sent PATCH /api/v1/namespaces/n/configmaps/c",
        "sent PATCH /api/v1/namespaces/n/configmaps/c",
        # the real switch SIGKILLs here; nothing of the third write is sent before that
        "killed",
        "sent DELETE /api/v1/namespaces/n/configmaps/c",
    ]
