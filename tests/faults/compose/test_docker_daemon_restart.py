"""Issue 15 on Compose: the Docker daemon restarts while two users work (it runs alone, after
every other test: the whole engine goes away for a while).

Only a dockerd that scripts/ensure-docker.sh started is restarted (its pid file), and it is
always brought back (ensure-docker.sh, in `finally`). The stack must come back by its restart
policies alone (no Compose command), users keep their sessions and find their files; a lab that
was running is either back or shown as stopped, and starts again on request.
"""

from __future__ import annotations

import time

import pytest

from tests.faults.compose.stack_faults import (
    ComposeFaults,
    dockerd_flags,
    ensure_docker,
    incarnation,
    our_dockerd,
    restore_all_lost_bridge_rules,
    stop_dockerd,
)
from tests.fixtures.docker import INSECURE_OK
from tests.fixtures.fault_probe import logged_in
from tests.fixtures.fault_report import FaultReport
from tests.fixtures.polling import wait_for

pytestmark = [pytest.mark.docker, pytest.mark.exclusive, INSECURE_OK]


def test_docker_daemon_restart_brings_the_stack_back_and_labs_start_again(
    compose_faults: ComposeFaults, fault_report: FaultReport
) -> None:
    stack = compose_faults.stack
    compose_faults.kernel_socket()
    before = compose_faults.lab_states()
    services = {name: incarnation(stack.container(name)) for name in ("jupyterhub", "traefik")}
    password = stack.admin_password()
    dockerd = our_dockerd()
    flags = dockerd_flags(dockerd)

    with compose_faults.probe() as probe:
        began = time.monotonic()
        try:
            stopped_s = stop_dockerd(dockerd)
        finally:
            started = ensure_docker(flags)
        assert started.returncode == 0, started.stdout + started.stderr
        restored = restore_all_lost_bridge_rules()
        stack.wait_until_healthy(timeout_s=180)
        back_s = time.monotonic() - began

        # Back by the restart policies: the same containers, run again (not recreated).
        for name, was in services.items():
            now = incarnation(was.container_id)
            assert now.running and now.started_at != was.started_at, (name, was, now)
        assert all(logged_in(user) for user in compose_faults.users.values())

        # Each lab is either back, or shown as stopped (never shown running while gone).
        def settled(role: str) -> str | None:
            if not compose_faults.server_running(role):
                return "stopped"
            user = compose_faults.users[role]
            return "back" if user.lab_get("api/status", timeout=5).status_code == 200 else None

        states = {
            role: wait_for(lambda role=role: settled(role), timeout=90, what=f"{role}'s lab")  # type: ignore[misc]
            for role in compose_faults.users
        }
        for role, state in states.items():
            if state == "stopped":
                person = compose_faults.people[role]
                person.client.start_server(person.name)
        compose_faults.wait_labs_answer()

    outcome = compose_faults.outcome(probe, before)
    seen = ", ".join(f"{role} {state}" for role, state in sorted(states.items()))
    fault_report.record(
        case="Docker daemon restarted",
        path="compose",
        users=outcome,
        note=f"dockerd stopped every container ({stopped_s:.0f} s); the stack answered "
        f"{back_s:.0f} s after the stop, by its restart policies; labs after it: {seen}, "
        "started again on request",
    )
    if restored:
        print(f"restored Docker's FORWARD rules lost after the restart: {restored}")
    for role, result in outcome.items():
        assert not result["logged_out"], f"{role} was logged out: {outcome}"
        assert result["files_intact"], f"{role}'s file changed: {outcome}"
    assert stack.admin_password() == password
