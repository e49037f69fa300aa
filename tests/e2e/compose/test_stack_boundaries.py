"""Boundaries of the Compose platform on a real engine (docs/security.md, section Compose), each
shown by trying to cross it: Traefik holds no Docker socket, Watchtower runs only when opted in
(at a fixed version), and `down.sh` / `remove-user-data.sh` touch only their own stack even when
another stack's containers and volumes share its names and its network."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import requests

from tests.fixtures.compose_people import ADMIN, sign_up_and_approve
from tests.fixtures.docker import (
    COMPOSE_DIR,
    INSECURE_OK,
    LAB_IMAGE,
    SHARED_VOLUME,
    ComposeStack,
    StackFactory,
    docker,
)
from tests.fixtures.front_door_scripts import run_script
from tests.fixtures.hub_client import HubClient

pytestmark = [pytest.mark.docker, INSECURE_OK]

PROJECT_LABEL = "com.docker.compose.project"
SOCKET_PATHS = ("/var/run/docker.sock", "/run/docker.sock")


def inspect(kind: str, name: str) -> dict:
    return json.loads(docker(kind, "inspect", name).stdout)[0]


def exists(kind: str, name: str) -> bool:
    return docker(kind, "inspect", name, check=False).returncode == 0


def service_containers(stack: ComposeStack, service: str) -> list[str]:
    return docker(
        "ps",
        "-aq",
        "--filter",
        f"label={PROJECT_LABEL}={stack.project}",
        "--filter",
        f"label=com.docker.compose.service={service}",
    ).stdout.split()


def test_traefik_holds_no_docker_socket_and_still_serves_the_hub(
    compose_stack: ComposeStack,
) -> None:
    traefik = compose_stack.container("traefik")
    details = inspect("container", traefik)

    mounted = [(m.get("Source", ""), m["Destination"]) for m in details["Mounts"]]
    assert not [m for m in mounted if any("docker.sock" in path for path in m)], mounted
    assert not [m for m in mounted if m[0] in ("/var/run", "/run", "/var")], mounted
    assert not [e for e in details["Config"]["Env"] if e.startswith("TRAEFIK_PROVIDERS_DOCKER")]
    # The attack: from inside Traefik, reach the engine through its socket.
    for path in SOCKET_PATHS:
        attempt = docker("exec", traefik, "ls", "-l", path, check=False)
        assert attempt.returncode != 0, f"{path} exists inside Traefik: {attempt.stdout}"
        assert "No such file" in attempt.stderr, attempt.stderr
    # The front door still leads to this stack's hub.
    health = requests.get(f"{compose_stack.url}/hub/health", verify=False, timeout=10)
    assert health.status_code == 200


def test_watchtower_runs_only_when_opted_in_at_a_fixed_version(
    compose_stack: ComposeStack,
) -> None:
    assert service_containers(compose_stack, "watchtower") == []

    opted_in = dataclasses.replace(
        compose_stack, env={**compose_stack.env, "ENABLE_AUTO_UPDATE": "1"}
    )
    try:
        opted_in.compose("up", "-d", "--no-deps", "watchtower")
        started = service_containers(compose_stack, "watchtower")
        assert len(started) == 1
        watchtower = inspect("container", started[0])
        assert watchtower["State"]["Running"] is True
        image = watchtower["Config"]["Image"]
        assert re.fullmatch(r"[\w./-]+/watchtower:\d+\.\d+\.\d+", image), image
        # The offline stand-in is built from the Go module at the very version of the tag.
        gomod = (COMPOSE_DIR / "standins" / "watchtower" / "gomod" / "go.mod").read_text()
        assert f"github.com/containrrr/watchtower v{image.rsplit(':', 1)[1]}\n" in gomod
    finally:
        # Opting out again: the next `up` with the default setting removes it (as for an
        # install that ran Watchtower before it became opt-in).
        compose_stack.compose("up", "-d", "--no-deps", "watchtower")
    assert service_containers(compose_stack, "watchtower") == []


def lab_volumes(user: str) -> list[str]:
    return [f"jupyterlab-{user}_{suffix}" for suffix in ("home", "workspace", "cache")]


def test_down_and_remove_user_data_leave_another_stacks_look_alikes_alone(
    compose_stack_factory: StackFactory, tmp_path: Path
) -> None:
    stack = compose_stack_factory()
    admin = HubClient(stack.url)
    assert admin.log_in(ADMIN, stack.admin_password()).status_code == 302
    admin.create_token(ADMIN)
    own = sign_up_and_approve(stack, admin, compose_stack_factory.user_name())
    own.client.start_server(own.name)
    own_lab = f"jupyterlab-{own.name}"
    assert inspect("container", own_lab)["State"]["Running"] is True

    # Another stack's look-alikes on the same engine: a lab-named container labelled with its
    # own project and one without any label (as that stack's hub starts them), both on this
    # stack's network; lab-named volumes, labelled and not; the shared volume's name is fixed,
    # so it exists here as another project's when this engine runs another stack.
    foreign_project = f"{stack.project}-foreign"
    labelled_user, plain_user = compose_stack_factory.user_name(), compose_stack_factory.user_name()
    foreign_containers = [f"jupyterlab-{labelled_user}", f"jupyterlab-{plain_user}"]
    foreign_volumes = [*lab_volumes(labelled_user), *lab_volumes(plain_user)]
    shared_owner = (inspect("volume", SHARED_VOLUME)["Labels"] or {}).get(PROJECT_LABEL)
    try:
        for name, labels in zip(
            foreign_containers, (["--label", f"{PROJECT_LABEL}={foreign_project}"], []), strict=True
        ):
            docker(
                "run", "-d", "--name", name, *labels, "--network", stack.network,
                "--entrypoint", "sleep", LAB_IMAGE, "infinity",
            )  # fmt: skip
        for volume in lab_volumes(labelled_user):
            docker("volume", "create", "--label", f"{PROJECT_LABEL}={foreign_project}", volume)
        for volume in lab_volumes(plain_user):
            docker("volume", "create", volume)

        down = run_script("down.sh", stack.env)
        assert down.returncode == 0, down.stderr[-3000:]
        assert not exists("container", own_lab)
        assert (
            docker("ps", "-aq", "--filter", f"label={PROJECT_LABEL}={stack.project}").stdout == ""
        )
        for name in foreign_containers:
            assert inspect("container", name)["State"]["Running"] is True, name
            assert stack.network in inspect("container", name)["NetworkSettings"]["Networks"]

        listed = run_script("remove-user-data.sh", stack.env, "--accounts")
        assert listed.returncode == 1, listed.stderr
        shown = {line.strip() for line in listed.stdout.splitlines()[1:]}
        own_volumes = {*lab_volumes(own.name), stack.volumes[0]}
        if shared_owner == stack.project:
            own_volumes.add(SHARED_VOLUME)
        assert shown == own_volumes, listed.stdout + listed.stderr

        removed = run_script("remove-user-data.sh", stack.env, "--accounts", "--yes")
        assert removed.returncode == 0, removed.stderr
        for volume in own_volumes:
            assert not exists("volume", volume), volume
        for volume in foreign_volumes:
            assert exists("volume", volume), volume
        if shared_owner != stack.project:
            assert exists("volume", SHARED_VOLUME)
        for name in foreign_containers:
            assert inspect("container", name)["State"]["Running"] is True, name
    finally:
        docker("rm", "-f", *foreign_containers, check=False)
        docker("volume", "rm", *foreign_volumes, check=False)
        stack.remove()
