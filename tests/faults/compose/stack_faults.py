"""The Compose fault cases' stack: one platform (its own project, ports and volumes) with two
users signed up, approved, logged in, their labs running and a marker file each; alice also
keeps a kernel busy behind an open websocket. Faults are dealt from the host: a container's main
process killed with SIGKILL (as the OOM killer or a crash would; `docker kill` counts as a
deliberate stop, so Docker's restart policy would not apply), the platform's scripts run as a
person runs them, and the Docker daemon restarted.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import requests

from tests.fixtures.compose_people import User, sign_up_and_approve
from tests.fixtures.docker import ROOT, ComposeStack, docker, restore_lost_bridge_rules
from tests.fixtures.fault_probe import (
    AvailabilityProbe,
    LabUser,
    OpenKernelSocket,
    lab_started,
    user_outcomes,
)
from tests.fixtures.hub_client import HubClient
from tests.fixtures.polling import wait_for

# The names the results use; the accounts behind them are unique to the test session.
FAULT_USERS: Final = ("alice", "bob")
KERNEL_USER: Final = "alice"
# The dockerd that scripts/ensure-docker.sh started records its pid here.
DOCKERD_PIDFILE: Final = (
    Path(os.environ.get("STELLARS_DOCKER_STATE", "/var/lib/stellars/docker")) / "dockerd.pid"
)
ENSURE_DOCKER: Final = ROOT / "scripts" / "ensure-docker.sh"


@dataclass(frozen=True)
class Incarnation:
    """One run of a container: a different id, start time or restart count is another process."""

    container_id: str
    started_at: str
    restart_count: int
    running: bool


def incarnation(container: str) -> Incarnation:
    state = json.loads(docker("inspect", container).stdout)[0]
    return Incarnation(
        container_id=state["Id"],
        started_at=state["State"]["StartedAt"],
        restart_count=int(state["RestartCount"]),
        running=bool(state["State"]["Running"]),
    )


def kill_main_process(container: str) -> None:
    """SIGKILL the container's main process from the host: a crash, to which the container's
    restart policy applies."""
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", container).stdout.strip())
    assert pid > 0, f"{container} is not running"
    os.kill(pid, signal.SIGKILL)


def lab_container(account: str) -> str:
    return f"jupyterlab-{account}"


@dataclass(frozen=True)
class LabState:
    """What identifies a running lab: its container's run and the server's start time."""

    run: Incarnation
    started: str


@dataclass
class ComposeFaults:
    stack: ComposeStack
    admin: HubClient
    people: dict[str, User] = field(default_factory=dict)  # role (alice, bob) -> account
    users: dict[str, LabUser] = field(default_factory=dict)  # role -> its lab, for the probe
    markers: dict[str, str] = field(default_factory=dict)
    kernel: OpenKernelSocket | None = None

    # --- setting up ---------------------------------------------------------------------
    def sign_up(self, role: str, account: str) -> None:
        person = sign_up_and_approve(self.stack, self.admin, account)
        self.people[role] = person
        self.users[role] = LabUser(
            name=role,
            lab_url=f"{self.stack.url}/user/{account}/",
            session=person.client.http,
            token=person.client.token,
            verify=False,
        )

    def start_labs(self) -> None:
        """Start every user's lab (all asked first, then waited for, as people do)."""
        for person in self.people.values():
            response = person.client.api("POST", f"/users/{person.name}/server")
            assert response.status_code in (201, 202, 400), response.text
        for person in self.people.values():
            try:
                person.client.wait_server(person.name, ready=True, timeout_s=180)
            except AssertionError as error:
                raise AssertionError(f"{error}\n{self.stack.logs('jupyterhub')}") from error

    def kernel_socket(self) -> OpenKernelSocket:
        """Alice's busy kernel behind an open websocket; a new one when the last was cut."""
        if self.kernel is not None and self.kernel.is_open:
            return self.kernel
        self.close_kernel()
        user = self.users[KERNEL_USER]
        self.kernel = OpenKernelSocket(user.lab_url, user.token)
        assert self.kernel.receives_new_output(timeout=30), "the busy kernel sends nothing"
        return self.kernel

    def close_kernel(self) -> None:
        if self.kernel is not None:
            # A lab the case stopped took the kernel with it.
            with contextlib.suppress(requests.RequestException):
                self.kernel.close()
            self.kernel = None

    # --- what users see -----------------------------------------------------------------
    def lab_states(self) -> dict[str, LabState]:
        return {
            role: LabState(
                run=incarnation(lab_container(self.people[role].name)), started=lab_started(user)
            )
            for role, user in self.users.items()
        }

    def probe(self) -> AvailabilityProbe:
        return AvailabilityProbe(self.users.values())

    def wait_labs_answer(self, *, timeout: float = 180) -> None:
        """Until every lab answers through Traefik again (the probe's recovery, seen)."""
        for role, user in self.users.items():
            wait_for(
                lambda user=user: user.lab_get("api/status", timeout=5).status_code == 200,  # type: ignore[misc]
                timeout=timeout,
                what=f"{role}'s lab through the public entry point",
                retry_on=(requests.RequestException,),
            )

    def outcome(
        self, probe: AvailabilityProbe, before: dict[str, LabState]
    ) -> dict[str, dict[str, Any]]:
        """Per user, what `fault_report.record` wants; call it once the labs answer again."""
        after = self.lab_states()
        restarted = {role: after[role] != before[role] for role in self.users}
        return user_outcomes(probe, self.users, markers=self.markers, restarted=restarted)

    def kernel_still_busy(self, kernel: str) -> bool:
        """Whether alice's kernel is still running its loop (the REST API, not the socket)."""
        user = self.users[KERNEL_USER]
        response = user.lab_get(f"api/kernels/{kernel}")
        return response.status_code == 200 and response.json()["execution_state"] == "busy"

    def account_names(self) -> set[str]:
        response = self.admin.api("GET", "/users")
        assert response.status_code == 200, response.text
        return {user["name"] for user in response.json()}

    def server_running(self, role: str) -> bool:
        account = self.people[role].name
        model = self.admin.api("GET", f"/users/{account}").json()
        return bool(model.get("servers", {}).get(""))

    def user_volumes(self) -> set[str]:
        prefixes = tuple(f"jupyterlab-{person.name}_" for person in self.people.values())
        names = docker("volume", "ls", "-q").stdout.split()
        return {name for name in names if name.startswith(prefixes)}


# --- the Docker daemon ------------------------------------------------------------------
def our_dockerd() -> int:
    """The pid of the dockerd scripts/ensure-docker.sh started; fails when this engine is
    another one (a systemd dockerd, say), which a test must never restart."""
    assert DOCKERD_PIDFILE.exists(), f"no {DOCKERD_PIDFILE}: this dockerd is not ours to restart"
    pid = int(DOCKERD_PIDFILE.read_text().strip())
    comm = Path(f"/proc/{pid}/comm")
    assert comm.exists() and comm.read_text().strip() == "dockerd", (
        f"{DOCKERD_PIDFILE} names pid {pid}, which is not a running dockerd: not restarting it"
    )
    return pid


def stop_dockerd(pid: int, *, timeout: float = 120) -> float:
    """SIGTERM (dockerd's own clean shutdown: it stops every container); the seconds it took."""
    began = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    wait_for(
        lambda: not Path(f"/proc/{pid}").exists(), timeout=timeout, interval=0.2, what="dockerd"
    )
    return time.monotonic() - began


def dockerd_flags(pid: int) -> list[str]:
    """The flags dockerd runs with, but the socket (ensure-docker.sh adds that itself)."""
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[1:]
    return [argument for argument in arguments if argument and not argument.startswith("--host=")]


def ensure_docker(flags: list[str]) -> subprocess.CompletedProcess[str]:
    """scripts/ensure-docker.sh: starts the engine again (with these flags) when it is not
    answering."""
    return subprocess.run(
        [str(ENSURE_DOCKER)],
        env={**os.environ, "STELLARS_DOCKERD_ARGS": " ".join(flags)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def restore_all_lost_bridge_rules() -> list[str]:
    """Docker re-adds its FORWARD rules for every network when it starts; the cluster's
    kube-router may drop some (tests/fixtures/docker.py). Every user-defined bridge on the engine
    gets its rules back, not only this stack's: the restart was ours."""
    names = docker("network", "ls", "--filter", "driver=bridge", "--format", "{{.Name}}").stdout
    restored = []
    for network in names.split():
        if network != "bridge":
            restored += [f"{network}: {rule}" for rule in restore_lost_bridge_rules(network)]
    return restored
