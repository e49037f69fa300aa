"""leader_election.py: who may take the Lease, and the elector's loop against a fake API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from stellars_operator.kube import Kube
from stellars_operator.leader_election import (
    LEASE_SECONDS_VARIABLE,
    NAMESPACE_VARIABLE,
    ElectionSettings,
    LeaderElector,
    Sighting,
    claimed,
    lease_path,
    may_take,
    next_sighting,
    released,
)


def lease(holder: str | None, renew: str = "t0", duration: int = 10) -> dict[str, Any]:
    spec = {"holderIdentity": holder, "renewTime": renew, "leaseDurationSeconds": duration}
    return {"metadata": {"name": "l", "resourceVersion": "1"}, "spec": spec}


def test_no_namespace_means_no_election() -> None:
    assert ElectionSettings.from_environment({}) is None


def test_settings_from_the_pod() -> None:
    settings = ElectionSettings.from_environment({"POD_NAMESPACE": "ops", "POD_NAME": "op-1"})
    assert settings == ElectionSettings(namespace="ops", identity="op-1")
    assert settings.renew_seconds == 5 and settings.retry_seconds == 3


def test_settings_override_namespace_and_duration() -> None:
    environ = {NAMESPACE_VARIABLE: "t", "POD_NAMESPACE": "ops", LEASE_SECONDS_VARIABLE: "4"}
    settings = ElectionSettings.from_environment(environ)
    assert settings is not None and settings.namespace == "t" and settings.lease_seconds == 4
    with pytest.raises(ValueError, match=LEASE_SECONDS_VARIABLE):
        ElectionSettings.from_environment({**environ, LEASE_SECONDS_VARIABLE: "0"})


def test_a_free_released_or_own_lease_may_be_taken_at_once() -> None:
    for current in (lease(None), lease(""), lease("me")):
        seen = next_sighting(None, current, now=100)
        assert may_take(current, identity="me", sighting=seen, now=100, lease_seconds=10)


def test_another_holder_is_waited_out_by_the_stand_bys_own_clock() -> None:
    held = lease("other", renew="t0")
    seen = next_sighting(None, held, now=100)
    assert not may_take(held, identity="me", sighting=seen, now=109.9, lease_seconds=10)
    assert may_take(held, identity="me", sighting=seen, now=110, lease_seconds=10)


def test_a_renewal_restarts_the_wait() -> None:
    first = next_sighting(None, lease("other", renew="t0"), now=100)
    assert next_sighting(first, lease("other", renew="t0"), now=105) is first
    renewed = next_sighting(first, lease("other", renew="t1"), now=108)
    assert renewed == Sighting(record=("other", "t1", 10), since=108)
    assert not may_take(
        lease("other", renew="t1"), identity="me", sighting=renewed, now=115, lease_seconds=10
    )


def test_claimed_counts_transitions_and_keeps_own_acquire_time() -> None:
    taken = claimed(lease("other"), identity="me", now_iso="T1", lease_seconds=10)
    assert taken["holderIdentity"] == "me" and taken["acquireTime"] == "T1"
    assert taken["leaseTransitions"] == 1
    renewed = claimed(
        {"metadata": {}, "spec": taken}, identity="me", now_iso="T2", lease_seconds=10
    )
    assert renewed["acquireTime"] == "T1" and renewed["renewTime"] == "T2"
    assert renewed["leaseTransitions"] == 1
    assert claimed(None, identity="me", now_iso="T0", lease_seconds=10)["leaseTransitions"] == 0


def test_released_has_no_holder() -> None:
    spec = released(lease("me"))
    assert spec["holderIdentity"] is None and spec["leaseDurationSeconds"] == 1


class FakeLeaseApi(Kube):
    """One Lease in memory, with resourceVersion checks like the API server's."""

    def __init__(self, current: dict[str, Any] | None = None) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self.current = current
        self.version = 1

    def get(self, path: str) -> dict[str, Any] | None:
        return self.current

    def request(self, method: str, path: str, *, body: Any = None, **_: Any) -> dict[str, Any]:
        if method == "POST" and self.current is not None:
            raise ApiException(status=409, reason="AlreadyExists")
        if method == "PUT" and body["metadata"]["resourceVersion"] != str(self.version):
            raise ApiException(status=409, reason="Conflict")
        self.version += 1
        self.current = {
            "metadata": {**body["metadata"], "resourceVersion": str(self.version)},
            "spec": body["spec"],
        }
        return self.current


SETTINGS = ElectionSettings(namespace="ops", identity="me", lease_seconds=10)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_elector_creates_a_missing_lease() -> None:
    api = FakeLeaseApi()
    assert LeaderElector(api, SETTINGS).try_acquire()
    assert api.current is not None and api.current["spec"]["holderIdentity"] == "me"
    assert LeaderElector(api, SETTINGS).path == lease_path("ops", "stellars-operator")


def test_elector_waits_out_a_silent_holder_then_takes_over() -> None:
    api = FakeLeaseApi({**lease("other", duration=10), "metadata": {"resourceVersion": "1"}})
    clock = Clock()
    elector = LeaderElector(api, SETTINGS, clock=clock, sleep=clock.sleep)
    elector.acquire()
    assert api.current is not None and api.current["spec"]["holderIdentity"] == "me"
    assert 10 <= clock.now <= 12  # one lease duration and at most one retry period


def test_renewal_reports_another_holder() -> None:
    api = FakeLeaseApi()
    elector = LeaderElector(api, SETTINGS)
    assert elector.try_acquire()
    assert elector.renew_once() is None
    api.current = {**lease("other"), "metadata": {"resourceVersion": str(api.version)}}
    assert elector.renew_once() == "other"


def test_release_hands_the_lease_over() -> None:
    api = FakeLeaseApi()
    me = LeaderElector(api, SETTINGS)
    assert me.try_acquire()
    me.release()
    other = ElectionSettings(namespace="ops", identity="other", lease_seconds=10)
    assert LeaderElector(api, other).try_acquire()
    spec: Mapping[str, Any] = (api.current or {})["spec"]
    assert spec["holderIdentity"] == "other" and spec["leaseTransitions"] == 1
