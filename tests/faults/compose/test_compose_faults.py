"""Issue 15 on Compose: the hub and Traefik crash, `make up` runs again, `make down` + `make up`,
while two users work.

One stack (conftest.py, stack_faults.py) with alice and bob logged in, their labs running, a file
each, and alice's kernel busy behind an open websocket, shared by the cases in file order; the
one that stops the labs (down + up) comes last. A probe requests each lab through Traefik every
0.2 s during each fault; every case records what the users saw (docs/reliability.md).
The Docker daemon's restart is test_docker_daemon_restart.py (it runs alone).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.faults.compose.stack_faults import (
    KERNEL_USER,
    ComposeFaults,
    Incarnation,
    incarnation,
    kill_main_process,
    lab_container,
)
from tests.fixtures.docker import INSECURE_OK, docker
from tests.fixtures.fault_report import FaultReport
from tests.fixtures.front_door_scripts import run_script
from tests.fixtures.polling import wait_for

pytestmark = [pytest.mark.docker, INSECURE_OK]


def _assert_unharmed(outcome: dict[str, dict[str, Any]]) -> None:
    for role, seen in outcome.items():
        assert not seen["lab_restarted"], f"{role}'s lab restarted: {outcome}"
        assert not seen["logged_out"], f"{role} was logged out: {outcome}"
        assert seen["files_intact"], f"{role}'s file changed: {outcome}"


def _restarted_by_policy(container: str, before: Incarnation) -> Incarnation:
    """Wait until Docker's restart policy has run the same container again."""

    def again() -> Incarnation | None:
        now = incarnation(container)
        return now if now.running and now.restart_count > before.restart_count else None

    return wait_for(again, timeout=60, interval=0.2, what=f"{container} restarted by its policy")


def _services(faults: ComposeFaults) -> dict[str, Incarnation]:
    return {
        service: incarnation(faults.stack.container(service))
        for service in ("jupyterhub", "traefik")
    }


def _socket_note(faults: ComposeFaults, kernel: str, *, kept: bool) -> str:
    busy = faults.kernel_still_busy(kernel)
    socket = "kept its open websocket" if kept else "lost its websocket (the path was cut)"
    return f"{KERNEL_USER}'s busy kernel {socket}, {'still running' if busy else 'STOPPED'}"


def test_hub_killed_restarts_by_policy_labs_keep_running_sessions_survive(
    compose_faults: ComposeFaults, fault_report: FaultReport
) -> None:
    """The hub's proxy lives in the hub's container (ConfigurableHTTPProxy, started by the hub):
    while the hub is down no lab is reachable. The labs keep running; the restarted hub finds
    them and routes to them again, and nobody logs in again."""
    kernel = compose_faults.kernel_socket()
    before = compose_faults.lab_states()
    services = _services(compose_faults)
    hub = services["jupyterhub"].container_id

    with compose_faults.probe() as probe:
        began = time.monotonic()
        kill_main_process(hub)
        restarted = _restarted_by_policy(hub, services["jupyterhub"])
        compose_faults.stack.wait_until_healthy(timeout_s=180)
        back_s = time.monotonic() - began
        compose_faults.wait_labs_answer()

    outcome = compose_faults.outcome(probe, before)
    kept = kernel.is_open and kernel.receives_new_output()
    note = _socket_note(compose_faults, kernel.kernel, kept=kept)
    fault_report.record(
        case="hub container killed (SIGKILL)",
        path="compose",
        users=outcome,
        note=f"the proxy is in the hub's container: labs unreachable until the hub is back "
        f"(its health answered {back_s:.0f} s after the kill); {note}",
    )
    _assert_unharmed(outcome)
    assert restarted.container_id == hub
    assert restarted.restart_count == services["jupyterhub"].restart_count + 1
    assert incarnation(services["traefik"].container_id) == services["traefik"]
    assert compose_faults.kernel_still_busy(kernel.kernel), "alice's computation stopped"


def test_traefik_killed_restarts_by_policy_and_nothing_else_restarts(
    compose_faults: ComposeFaults, fault_report: FaultReport
) -> None:
    kernel = compose_faults.kernel_socket()
    before = compose_faults.lab_states()
    services = _services(compose_faults)
    traefik = services["traefik"].container_id

    with compose_faults.probe() as probe:
        kill_main_process(traefik)
        restarted = _restarted_by_policy(traefik, services["traefik"])
        compose_faults.wait_labs_answer()

    outcome = compose_faults.outcome(probe, before)
    kept = kernel.is_open and kernel.receives_new_output()
    note = _socket_note(compose_faults, kernel.kernel, kept=kept)
    fault_report.record(
        case="Traefik killed (SIGKILL)",
        path="compose",
        users=outcome,
        note=f"every connection passes Traefik; {note}",
    )
    _assert_unharmed(outcome)
    assert restarted.container_id == traefik
    assert restarted.restart_count == services["traefik"].restart_count + 1
    assert incarnation(services["jupyterhub"].container_id) == services["jupyterhub"]
    assert compose_faults.kernel_still_busy(kernel.kernel), "alice's computation stopped"


def test_make_up_on_a_running_stack_changes_nothing(
    compose_faults: ComposeFaults, fault_report: FaultReport
) -> None:
    kernel = compose_faults.kernel_socket()
    before = compose_faults.lab_states()
    services = _services(compose_faults)
    password = compose_faults.stack.admin_password()
    accounts = compose_faults.account_names()
    volumes = compose_faults.user_volumes()

    with compose_faults.probe() as probe:
        up = run_script("up.sh", compose_faults.stack.env)
    assert up.returncode == 0, up.stderr[-3000:] + up.stdout

    outcome = compose_faults.outcome(probe, before)
    kept = kernel.is_open and kernel.receives_new_output()
    fault_report.record(
        case="`make up` again on a running stack",
        path="compose",
        users=outcome,
        note=_socket_note(compose_faults, kernel.kernel, kept=kept),
    )
    _assert_unharmed(outcome)
    assert _services(compose_faults) == services, "`make up` restarted or recreated a service"
    assert kept, "alice's open kernel websocket was cut"
    assert compose_faults.stack.admin_password() == password
    assert compose_faults.account_names() == accounts
    assert compose_faults.user_volumes() == volumes


def test_make_down_then_up_keeps_accounts_volumes_sessions_and_password(
    compose_faults: ComposeFaults, fault_report: FaultReport
) -> None:
    """`make down` stops every lab (compose/down.sh: the lab network must go); after `make up`
    each user starts theirs again, on the same volumes, still logged in."""
    before = compose_faults.lab_states()
    stack = compose_faults.stack
    data_volumes = set(stack.volumes)
    password = stack.admin_password()
    accounts = compose_faults.account_names()
    volumes = compose_faults.user_volumes()

    with compose_faults.probe() as probe:
        began = time.monotonic()
        down = run_script("down.sh", stack.env)
        assert down.returncode == 0, down.stderr[-3000:]
        down_s = time.monotonic() - began
        for person in compose_faults.people.values():
            lab = lab_container(person.name)
            assert docker("ps", "-aq", "--filter", f"name=^{lab}$").stdout.strip() == "", lab
        up = run_script("up.sh", stack.env)
        assert up.returncode == 0, up.stderr[-3000:] + up.stdout
        up_s = time.monotonic() - began - down_s
        for role in compose_faults.people:
            assert not compose_faults.server_running(role), f"{role}'s lab is shown running"
        compose_faults.start_labs()
        compose_faults.wait_labs_answer()

    outcome = compose_faults.outcome(probe, before)
    fault_report.record(
        case="`make down` + `make up`",
        path="compose",
        users=outcome,
        note=f"down ({down_s:.0f} s) stops every lab by design (the lab network goes); up "
        f"({up_s:.0f} s); then each user started their lab again, on the same volumes",
    )
    for role, seen in outcome.items():
        assert not seen["logged_out"], f"{role} was logged out: {outcome}"
        assert seen["files_intact"], f"{role}'s file changed: {outcome}"
    assert stack.admin_password() == password
    assert compose_faults.account_names() == accounts
    assert compose_faults.user_volumes() == volumes
    for volume in data_volumes:
        assert docker("volume", "inspect", volume, check=False).returncode == 0, volume
