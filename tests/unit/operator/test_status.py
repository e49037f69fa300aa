"""status.py: conditions, phase and their transitions, from observations alone."""

from __future__ import annotations

from typing import Any

import pytest

from stellars_operator.gpu import decide
from stellars_operator.spec import GpuSpec, SpecError
from stellars_operator.status import (
    FIRST_START_NOTE,
    DeploymentState,
    Observation,
    gpu_status_patch,
    hub_url,
    merge_conditions,
    phase_of,
    render_status,
    status_patch,
)
from tests.unit.operator.conftest import load_nodes, make_hub

T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"
NO_GPU = decide([], GpuSpec())


def deployment(*, available: bool, generation: int = 1, observed: int = 1) -> dict[str, Any]:
    return {
        "metadata": {"generation": generation},
        "spec": {"replicas": 1},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": 1,
            "availableReplicas": 1 if available else 0,
            "conditions": [{"type": "Available", "status": "True" if available else "False"}],
        },
    }


def seen(hub_up: bool | None, proxy_up: bool | None, **extra: Any) -> Observation:
    def state(name: str, up: bool | None) -> DeploymentState:
        return DeploymentState.observe(name, None if up is None else deployment(available=up))

    return Observation(
        hub=state("demo-hub", hub_up), proxy=state("demo-proxy", proxy_up), gpu=NO_GPU, **extra
    )


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def test_deployment_state() -> None:
    assert DeploymentState.observe("d", None).exists is False
    assert DeploymentState.observe("d", deployment(available=True)).available
    assert not DeploymentState.observe("d", deployment(available=False)).available
    # an old rollout's availability does not count for a newer generation
    stale = deployment(available=True, generation=2, observed=1)
    assert not DeploymentState.observe("d", stale).available
    assert DeploymentState.observe("d", deployment(available=False)).message == (
        "d: 0/1 available, 1/1 updated"
    )


def test_phases() -> None:
    assert phase_of(seen(None, None)) == "Pending"
    assert phase_of(seen(False, False)) == "Progressing"
    assert phase_of(seen(True, False)) == "Progressing"
    assert phase_of(seen(True, True)) == "Ready"
    assert phase_of(seen(True, True, apply_error="boom")) == "Degraded"
    assert phase_of(seen(None, None, problems=[SpecError("spec.x", "bad")])) == "Degraded"


def test_children_applied_but_no_pods_running() -> None:
    status = render_status(make_hub(), seen(False, False), previous={}, now=T0)
    assert status["phase"] == "Progressing"
    assert conditions(status) == {
        "Ready": ("False", "HubNotAvailable"),
        "Progressing": ("True", "RollingOut"),
        "Degraded": ("False", "AsExpected"),
        "GPUAvailable": ("False", "NoGpuNodes"),
        "InsecureExposure": ("False", "ClusterInternal"),
    }
    ready = status["conditions"][0]
    assert ready["message"] == (
        "demo-hub: 0/1 available, 1/1 updated; demo-proxy: 0/1 available, 1/1 updated"
    )
    assert ready["lastTransitionTime"] == T0
    assert ready["observedGeneration"] == 1


def test_proxy_still_starting() -> None:
    status = render_status(make_hub(), seen(True, False), previous={}, now=T0)
    assert conditions(status)["Ready"] == ("False", "ProxyNotAvailable")


def test_ready() -> None:
    status = render_status(make_hub(), seen(True, True), previous={}, now=T0)
    assert status["phase"] == "Ready"
    assert conditions(status)["Ready"] == ("True", "HubAndProxyAvailable")
    assert conditions(status)["Progressing"] == ("False", "RolloutComplete")


def test_invalid_spec_names_the_field() -> None:
    problem = SpecError("spec.admin.passwordSecretRef.name", "Secret team/pw does not exist")
    status = render_status(make_hub(), seen(None, None, problems=[problem]), previous={}, now=T0)
    assert status["phase"] == "Degraded"
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == "True"
    assert degraded["reason"] == "InvalidSpec"
    assert degraded["message"] == "spec.admin.passwordSecretRef.name: Secret team/pw does not exist"
    assert conditions(status)["Progressing"] == ("False", "Blocked")


def test_apply_failure() -> None:
    status = render_status(make_hub(), seen(None, None, apply_error="API 403"), previous={}, now=T0)
    assert conditions(status)["Degraded"] == ("True", "ApplyFailed")


def test_transition_time_kept_while_status_unchanged_and_moved_when_it_changes() -> None:
    hub = make_hub()
    first = render_status(hub, seen(False, False), previous={}, now=T0)
    again = render_status(hub, seen(False, False), previous=first, now=T1)
    assert again == first  # same observation, same status: nothing to patch
    later = render_status(hub, seen(True, True), previous=first, now=T1)
    times = {c["type"]: c["lastTransitionTime"] for c in later["conditions"]}
    assert times == {
        "Ready": T1,
        "Progressing": T1,
        "Degraded": T0,
        "GPUAvailable": T0,
        "InsecureExposure": T0,
    }


def test_merge_conditions_with_a_new_type() -> None:
    merged = merge_conditions(
        [{"type": "A", "status": "True", "lastTransitionTime": T0}],
        [{"type": "A", "status": "True"}, {"type": "B", "status": "False"}],
        now=T1,
    )
    assert [c["lastTransitionTime"] for c in merged] == [T0, T1]


def test_status_fields() -> None:
    hub = make_hub({"admin": {"passwordSecretRef": {"name": "pw"}}}, generation=4)
    status = render_status(hub, seen(False, False), previous={}, now=T0)
    assert status["observedGeneration"] == 4
    assert status["adminPassword"] == {
        "secretName": "pw",
        "key": "password",
        "note": FIRST_START_NOTE,
    }
    assert "first start" in FIRST_START_NOTE
    assert status["gpu"]["summary"] == "none"
    assert render_status(make_hub(), seen(False, False), previous={}, now=T0)["adminPassword"] == {
        "secretName": "demo-secrets",
        "key": "admin-password",
        "note": FIRST_START_NOTE,
    }


def test_urls() -> None:
    assert hub_url(make_hub()) == "http://demo-proxy-public.team.svc/jupyterhub/"
    tls = {"exposure": {"ingress": {"enabled": True, "host": "h.io", "tlsSecretName": "t"}}}
    assert hub_url(make_hub({**tls, "baseUrl": "/"})) == "https://h.io/"
    plain = {"exposure": {"ingress": {"enabled": True, "host": "h.io"}}}
    assert hub_url(make_hub(plain)) == "http://h.io/jupyterhub/"


def test_gpu_status_patch_touches_only_gpu() -> None:
    hub = make_hub()
    previous = render_status(hub, seen(False, False), previous={}, now=T0)
    found = decide(load_nodes("gfd-labelled"), GpuSpec())
    patch = gpu_status_patch(hub, found, previous=previous, now=T1)
    assert set(patch) == {"gpu", "conditions"}
    assert patch["gpu"]["enabled"] is True
    by_type = {c["type"]: c for c in patch["conditions"]}
    assert by_type["GPUAvailable"]["status"] == "True"
    assert by_type["GPUAvailable"]["reason"] == "GpuResourceFound"
    assert by_type["GPUAvailable"]["lastTransitionTime"] == T1
    assert by_type["Ready"] == previous["conditions"][0]


def test_gpu_and_conditions_are_always_patched_together() -> None:
    """status.gpu and GPUAvailable come from one decision and are written in one patch."""
    hub = make_hub()
    previous = render_status(hub, seen(False, False), previous={}, now=T0)
    # only Ready changes: the GPU part is written with it all the same
    later = render_status(hub, seen(True, False), previous=previous, now=T1)
    patch = status_patch(previous, later)
    assert patch["gpu"] == later["gpu"]
    assert patch["conditions"] == later["conditions"]
    assert status_patch(later, later) == {}


def test_keys_the_gpu_status_lost_are_written_as_null() -> None:
    hub = make_hub()
    found = decide(load_nodes("gfd-labelled"), GpuSpec())
    with_gpu = gpu_status_patch(hub, found, previous={}, now=T0)
    assert with_gpu["gpu"]["resource"] == "nvidia.com/gpu"
    gone = gpu_status_patch(hub, NO_GPU, previous=with_gpu, now=T1)
    assert gone["gpu"]["resource"] is None  # a merge patch would keep it otherwise
    assert gone["gpu"]["enabled"] is False
    by_type = {c["type"]: c for c in gone["conditions"]}
    assert by_type["GPUAvailable"]["status"] == "False"


@pytest.mark.parametrize(
    ("exposure", "expected"),
    [
        ({}, ("False", "ClusterInternal")),
        ({"serviceType": "NodePort"}, ("True", "PlainHTTPService")),
        ({"serviceType": "LoadBalancer"}, ("True", "PlainHTTPService")),
        ({"ingress": {"enabled": True, "host": "hub.example.org"}}, ("True", "PlainHTTPIngress")),
        (
            {"ingress": {"enabled": True, "host": "hub.example.org", "tlsSecretName": "tls"}},
            ("False", "IngressTLS"),
        ),
    ],
)
def test_a_login_page_served_in_clear_text_is_a_warning_condition(
    exposure: dict[str, Any], expected: tuple[str, str]
) -> None:
    status = render_status(make_hub({"exposure": exposure}), seen(True, True), previous={}, now=T0)
    assert conditions(status)["InsecureExposure"] == expected
    assert status["phase"] == "Ready"  # a warning: the hub works
