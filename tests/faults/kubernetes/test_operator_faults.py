"""Kubernetes fault cases 4, 5 and 7 (issue 15): the operator and the API server under faults.

4. The operator SIGKILLed at twenty-odd points of a hub's creation, update and deletion (its
   kill switch, operator/stellars_operator/fault_injection.py), restarted each time: the hub
   converges, nothing is duplicated or left behind, the Secret never changes, no user volume is
   touched.
5. The API server restarted, and stopped for 60 s: running labs keep answering through the
   proxy, and the operator handles changes made afterwards (its watches came back).
7. Two operators at once: one holds the Lease and writes, the other stands by; when the holder
   is killed, the other takes over.

Cases 4 and 7 use a hub that lives in the control plane only (control_plane_hub.py): the
operator's faults are about what it writes.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from stellars_operator.kube import Kube, resource_path
from stellars_operator.labels import ChildNames
from stellars_operator.leader_election import (
    LEASE_SECONDS_VARIABLE,
    NAMESPACE_VARIABLE,
    holder_of,
    lease_path,
)
from tests.faults.kubernetes.control_plane_hub import (
    CONTROL_PLANE_SPEC,
    KILL_AT,
    Convergence,
    KillLog,
    add_users,
    desired_identities,
    drive_through_kills,
    forbid_more_pods,
    hub_children,
    identity,
    kept_identities,
)
from tests.fixtures.api_server import ApiServer, api_server_down
from tests.fixtures.fault_hub import FaultHub
from tests.fixtures.fault_report import FaultReport
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import HUBS, create_hub, delete_hubs, get_hub

pytestmark = pytest.mark.cluster

HUB: Final = "chaos"
# The update: a setting of the hub's configuration (ConfigMap, the hub's rollout) and a new
# child (the Ingress).
UPDATE: Final[dict[str, Any]] = {
    "culling": {"timeout": 4321},
    "exposure": {"ingress": {"enabled": True, "host": "chaos.example.com"}},
}
LEASE_SECONDS: Final = 4
API_SERVER_OUTAGE_S: Final = 60


def patch_spec(kube: Kube, namespace: str, spec: dict[str, Any]) -> None:
    kube.merge_patch(resource_path(*HUBS, namespace=namespace, name=HUB), {"spec": spec})


def secret_data(kube: Kube, namespace: str) -> dict[str, str] | None:
    secret = kube.get(resource_path("v1", "Secret", namespace=namespace, name=f"{HUB}-secrets"))
    return None if secret is None else dict(secret.get("data") or {})


def config_map_path(namespace: str) -> str:
    return resource_path("v1", "ConfigMap", namespace=namespace, name=ChildNames(HUB).config)


@contextlib.contextmanager
def operator_process(
    kube: Kube, kube_config: str, namespace: str, log: Path, **env: str
) -> Iterator[OperatorProcess]:
    """An operator process (not started); afterwards the namespace's hubs are deleted by a clean
    one, and the log printed."""
    process = OperatorProcess(
        kube_config=kube_config, namespace=namespace, log_path=log, extra_env=env
    )
    try:
        yield process
    finally:
        process.stop()
        process.extra_env.pop(KILL_AT, None)
        if kube.list(resource_path(*HUBS, namespace=namespace)):
            process.start()
            delete_hubs(kube, namespace)
            process.stop()
        print(f"--- operator log ({namespace}) ---\n{process.log_tail(120)}")


# --- case 4 ---------------------------------------------------------------------------------


def test_operator_killed_at_each_write_converges(
    kube: Kube,
    kube_config: str,
    namespace: str,
    crd: dict[str, Any],
    hub_cluster_role: str,
    fault_report: FaultReport,
    tmp_path: Path,
) -> None:
    claims = add_users(kube, namespace, HUB)
    forbid_more_pods(kube, namespace)
    kills = KillLog()
    first_secret: dict[str, dict[str, str]] = {}

    def invariants() -> None:
        data = secret_data(kube, namespace)
        if data is not None:
            assert data == first_secret.setdefault("data", data), "the hub's Secret changed"
        for user, claim in claims.items():
            live = kube.get(
                resource_path(
                    "v1",
                    "PersistentVolumeClaim",
                    namespace=namespace,
                    name=claim["metadata"]["name"],
                )
            )
            assert live is not None, f"{user}'s volume is gone"
            assert live["metadata"]["uid"] == claim["metadata"]["uid"], f"{user}'s volume replaced"
            assert not live["metadata"].get("deletionTimestamp"), f"{user}'s volume deleted"
            assert live["spec"] == {**claim["spec"], **live["spec"]}, f"{user}'s volume changed"

    converged = Convergence(kube, namespace, HUB, hub_cluster_role)
    with operator_process(kube, kube_config, namespace, tmp_path / "operator.log") as operator:
        create_hub(kube, namespace, HUB, CONTROL_PLANE_SPEC)
        drive_through_kills(
            operator, phase="create", converged=converged, kills=kills, check_invariants=invariants
        )
        invariants()
        assert first_secret, "the hub's Secret was never made"

        patch_spec(kube, namespace, UPDATE)
        drive_through_kills(
            operator, phase="update", converged=converged, kills=kills, check_invariants=invariants
        )
        invariants()
        config = kube.get(config_map_path(namespace)) or {}
        assert "4321" in str(config.get("data")), "the update did not reach the hub's ConfigMap"

        spec = (get_hub(kube, namespace, HUB) or {})["spec"]
        kept = kept_identities(namespace, HUB, spec, hub_cluster_role)
        kube.delete(resource_path(*HUBS, namespace=namespace, name=HUB))

        def deleted() -> bool:
            return get_hub(kube, namespace, HUB) is None

        drive_through_kills(
            operator, phase="delete", converged=deleted, kills=kills, check_invariants=invariants
        )
    # The garbage collector takes what the hub owned; only its kept data may stay behind.
    wait_for(
        lambda: {identity(c) for c in hub_children(kube, namespace, HUB)} == kept,
        timeout=60,
        what=f"the deleted hub's children collected, all but {sorted(kept)}",
    )
    pods = kube.list(resource_path("v1", "Pod", namespace=namespace))
    assert [p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")] == []
    invariants()  # the users' volumes outlive their hub (deleteUserDataOnHubDelete is false)
    for key in ("create", "update", "delete"):
        assert kills.count(key) >= 1, f"no kill during {key}: {kills.points}"
    assert len(kills.points) >= 20, kills.points
    fault_report.record(
        case="operator SIGKILLed mid-change",
        path="kubernetes",
        users={},
        note=(
            f"{len(kills.points)} kills before an API write (create {kills.count('create')}, "
            f"update {kills.count('update')}, delete {kills.count('delete')}), restarted each "
            "time: converged every time, no child duplicated, none left after delete but the "
            f"kept {len(kept)} ({', '.join(k[1] for k in sorted(kept)) or 'none'}), Secret "
            f"unchanged, {len(claims)} user volumes untouched (control-plane hub, no labs)"
        ),
    )


# --- case 7 ---------------------------------------------------------------------------------


def election_env(namespace: str) -> dict[str, str]:
    return {NAMESPACE_VARIABLE: namespace, LEASE_SECONDS_VARIABLE: str(LEASE_SECONDS)}


def kopf_handled(operator: OperatorProcess) -> bool:
    """Whether kopf ran any handler in this operator (a stand-by never starts kopf)."""
    return "Handler '" in operator.log_text()


def test_two_operators_one_leads_and_the_other_takes_over(
    kube: Kube,
    kube_config: str,
    namespace: str,
    crd: dict[str, Any],
    hub_cluster_role: str,
    fault_report: FaultReport,
    tmp_path: Path,
) -> None:
    forbid_more_pods(kube, namespace)
    env = election_env(namespace)
    lease = lease_path(namespace, "stellars-operator")
    with (
        operator_process(kube, kube_config, namespace, tmp_path / "first.log", **env) as first,
        operator_process(kube, kube_config, namespace, tmp_path / "second.log", **env) as second,
    ):
        first.start()
        second.start()
        assert first.process is not None and second.process is not None
        first_id = f"{socket.gethostname()}-{first.process.pid}"
        second_id = f"{socket.gethostname()}-{second.process.pid}"
        assert holder_of(kube.get(lease)) == first_id

        create_hub(kube, namespace, HUB, CONTROL_PLANE_SPEC)
        converged = Convergence(kube, namespace, HUB, hub_cluster_role)
        wait_for(converged, timeout=90, what="the hub converged under the first operator")
        # A change while both run: only the leader acts on it.
        kube.delete(config_map_path(namespace))
        wait_for(lambda: kube.get(config_map_path(namespace)), timeout=30, what="ConfigMap back")
        assert kopf_handled(first)
        assert not kopf_handled(second), "the stand-by handled a hub"
        assert "standing by" in second.log_text()

        first.process.kill()  # SIGKILL: the Lease is not released
        killed_at = time.monotonic()
        first.process.wait(timeout=10)
        kube.delete(config_map_path(namespace))
        wait_for(
            lambda: kube.get(config_map_path(namespace)),
            timeout=60,
            what="the ConfigMap recreated by the second operator",
        )
        takeover_s = time.monotonic() - killed_at
        assert holder_of(kube.get(lease)) == second_id
        assert kopf_handled(second)
        patch_spec(kube, namespace, UPDATE)
        wait_for(converged, timeout=60, what="the update handled by the second operator")
        wanted = desired_identities(
            namespace, HUB, {**CONTROL_PLANE_SPEC, **UPDATE}, hub_cluster_role
        )
        assert {identity(c) for c in hub_children(kube, namespace, HUB)} == wanted
    fault_report.record(
        case="two operators, the leader SIGKILLed",
        path="kubernetes",
        users={},
        note=(
            f"one Lease holder wrote, the stand-by ran no handler; after SIGKILL of the holder "
            f"the other repaired a deleted child {takeover_s:.1f} s later (lease "
            f"{LEASE_SECONDS} s; control-plane hub, no labs)"
        ),
    )


# --- case 5 ---------------------------------------------------------------------------------


def watches_work(kube: Kube, namespace: str, converged: Convergence, timeout: float = 60) -> float:
    """Delete a child and change the spec; the seconds until the operator repaired and handled
    both (its resync is minutes away: only its watches can tell it in time)."""
    began = time.monotonic()
    kube.delete(config_map_path(namespace))
    wait_for(lambda: kube.get(config_map_path(namespace)), timeout=timeout, what="ConfigMap back")
    culling = int(time.time()) % 100000 + 1
    patch_spec(kube, namespace, {"culling": {"timeout": culling}})
    wait_for(converged, timeout=timeout, what="the spec change handled")
    assert str(culling) in str((kube.get(config_map_path(namespace)) or {}).get("data"))
    return time.monotonic() - began


@pytest.fixture
def watched_hub(
    kube: Kube,
    kube_config: str,
    namespace: str,
    crd: dict[str, Any],
    hub_cluster_role: str,
    tmp_path: Path,
) -> Iterator[Convergence]:
    """A control-plane hub, converged, under an operator that resyncs only every few minutes."""
    forbid_more_pods(kube, namespace)
    with operator_process(kube, kube_config, namespace, tmp_path / "operator.log") as operator:
        operator.resync_seconds = None  # the operator's default (300 s)
        operator.start()
        create_hub(kube, namespace, HUB, CONTROL_PLANE_SPEC)
        converged = Convergence(kube, namespace, HUB, hub_cluster_role)
        wait_for(converged, timeout=90, what="the hub converged")
        yield converged
        assert operator.process is not None and operator.process.poll() is None, "operator died"


def probe_labs_through(
    fault_hub: FaultHub, api_server: ApiServer, *, down_s: float
) -> tuple[dict[str, dict[str, Any]], str, float]:
    """Stop the API server for `down_s` (0: restart it) while the labs are probed; the users'
    figures and a line on how long it was away."""
    before = fault_hub.lab_states()
    with fault_hub.probe() as probe:
        with api_server_down(api_server, seconds=down_s):
            pass
        time.sleep(1)  # a few more probes with the API server back
        fault_hub.wait_hub_api()
    assert fault_hub.kernel is not None
    assert fault_hub.kernel.receives_new_output(timeout=30), "the open websocket went quiet"
    times = api_server.times
    start = (
        f"ready {times['ready'] - times['started']:.0f} s after its start"
        if "started" in times
        else "started again by another process"
    )
    away = (
        f"API server away {times['ready'] - times['stop_sent']:.0f} s (its shutdown "
        f"{times['gone'] - times['stop_sent']:.0f} s, {start})"
    )
    return fault_hub.outcome(probe, before), away, times["ready"]


@pytest.mark.exclusive
@pytest.mark.parametrize("outage", ["restart", "stop-60s"])
def test_api_server_outage_labs_keep_serving_and_operator_recovers(
    outage: str,
    kube: Kube,
    api_server: ApiServer,
    fault_hub: FaultHub,
    watched_hub: Convergence,
    fault_report: FaultReport,
) -> None:
    down_s = 0 if outage == "restart" else API_SERVER_OUTAGE_S
    users, away, back_at = probe_labs_through(fault_hub, api_server, down_s=down_s)
    watches_work(kube, watched_hub.namespace, watched_hub)
    handled_s = time.monotonic() - back_at
    for name, seen in users.items():
        assert seen["unavailable_s"] == 0, f"{name}'s lab was unreachable: {seen}"
        assert not seen["lab_restarted"] and not seen["logged_out"] and seen["files_intact"], seen
    label = "restarted" if outage == "restart" else f"stopped {API_SERVER_OUTAGE_S} s"
    fault_report.record(
        case=f"API server {label}",
        path="kubernetes",
        users=users,
        note=(
            f"{away}; a deleted child repaired and a spec change handled by the operator "
            f"{handled_s:.1f} s after it was ready again (its watches; resync 300 s)"
        ),
    )
