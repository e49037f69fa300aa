"""A killed test session's stacks are removed by the next session; a live session's are not.

Two stand-in sessions in the real engine, each with what a Compose stack leaves (a container
with the project's label, on a network of the project's, a volume of the project's, and a
user's lab volume): one whose session lock nobody holds (its process was killed), one whose
lock this test holds (alive). The sweep the compose fixture runs at start removes exactly the
first.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.fixtures.docker import LAB_IMAGE, docker
from tests.fixtures.stale_stacks import (
    hold_session_lock,
    release_session_lock,
    session_alive,
    sweep_dead_sessions,
)


def _leave_stack(session: str) -> dict[str, str]:
    """What a stack of `session` leaves in the engine; the names by kind."""
    project = f"stellars-e2e-{session}-1"
    label = f"com.docker.compose.project={project}"
    names = {
        "project": project,
        "network": f"{project}_net",
        "volume": f"{project}_data",
        "container": f"{project}-jupyterhub-1",
        "lab": f"jupyterlab-u{session}x1",
        "lab_volume": f"jupyterlab-u{session}x1_home",
    }
    docker("network", "create", "--label", label, names["network"])
    docker("volume", "create", "--label", label, names["volume"])
    docker("volume", "create", names["lab_volume"])
    docker(
        "create", "--name", names["container"], "--label", label,
        "--network", names["network"], "-v", f"{names['volume']}:/data",
        "--restart", "unless-stopped", LAB_IMAGE, "sleep", "600",
    )  # fmt: skip
    # A lab the hub spawned onto the stack's network: no project label of its own.
    docker(
        "create", "--name", names["lab"], "--network", names["network"],
        "-v", f"{names['lab_volume']}:/home", LAB_IMAGE, "sleep", "600",
    )  # fmt: skip
    return names


def _exists(kind: str, name: str) -> bool:
    command = {"container": "container", "lab": "container", "network": "network"}.get(
        kind, "volume"
    )
    return docker(command, "inspect", name, check=False).returncode == 0


def _remove(names: dict[str, str]) -> None:
    docker("rm", "-f", names["container"], names["lab"], check=False)
    docker("network", "rm", names["network"], check=False)
    docker("volume", "rm", names["volume"], names["lab_volume"], check=False)


@pytest.fixture
def sessions(platform_images: None) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    dead_session, live_session = secrets.token_hex(3), secrets.token_hex(3)
    live_lock = hold_session_lock(live_session)
    # The dead one had its lock file too; its process is gone, so nobody holds it.
    hold_session_lock(dead_session).close()
    dead, live = _leave_stack(dead_session), _leave_stack(live_session)
    try:
        yield dead, live
    finally:
        _remove(dead)
        _remove(live)
        release_session_lock(live_session, live_lock)


def test_the_next_session_removes_a_killed_sessions_stack_and_keeps_a_live_ones(
    sessions: tuple[dict[str, str], dict[str, str]],
) -> None:
    dead, live = sessions
    dead_session = dead["project"].split("-")[2]
    live_session = live["project"].split("-")[2]
    assert (session_alive(dead_session), session_alive(live_session)) == (False, True)

    removed = sweep_dead_sessions(own=secrets.token_hex(3))

    assert dead["project"] in removed
    assert live["project"] not in removed
    kinds = ("container", "lab", "network", "volume", "lab_volume")
    assert {kind: _exists(kind, dead[kind]) for kind in kinds} == dict.fromkeys(kinds, False)
    assert {kind: _exists(kind, live[kind]) for kind in kinds} == dict.fromkeys(kinds, True)
