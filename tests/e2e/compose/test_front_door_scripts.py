"""The scripts behind `make up`, `make down` and `make remove-user-data`, run as a person would,
on a project of their own (own name, ports, network and hub volumes)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

import pytest

from tests.fixtures.docker import (
    DS_LAB_IMAGE,
    HUB_IMAGE,
    INSECURE_OK,
    ORIGINAL_LAB_IMAGE,
    StackFactory,
    docker,
)
from tests.fixtures.front_door_scripts import run_script
from tests.fixtures.hub_client import HubClient
from tests.fixtures.ports import free_port

pytestmark = [pytest.mark.docker, INSECURE_OK]


def test_up_answers_and_says_where_the_password_is_down_keeps_volumes(
    compose_stack_factory: StackFactory,
) -> None:
    project = f"stellars-e2e-{compose_stack_factory.session}-scripts"
    volumes = [f"{project}_data", f"{project}_certs"]
    user = compose_stack_factory.user_name()
    user_volume = f"jupyterlab-{user}_home"
    env = {
        "COMPOSE_PROJECT_NAME": project,
        "HTTP_PORT": str(free_port()),
        "HTTPS_PORT": str(free_port()),
        "DOCKER_NETWORK_NAME": f"{project}_net",
        "JUPYTERHUB_DATA_VOLUME": volumes[0],
        "JUPYTERHUB_CERTS_VOLUME": volumes[1],
        "JUPYTERHUB_IMAGE": HUB_IMAGE,
        # .env's lab image (the original) without a registry: up.sh falls back to our own.
        "STELLARS_OFFLINE": "1",
        "ENABLE_GPU_SUPPORT": "0",
        "JUPYTERHUB_ADMIN": "admin",
        "JUPYTERHUB_ADMIN_PASSWORD": "",
        "JUPYTERHUB_BASE_URL": "/jupyterhub",
    }
    try:
        up = run_script("up.sh", env)
        assert up.returncode == 0, up.stderr[-3000:] + up.stdout
        url = f"https://localhost:{env['HTTPS_PORT']}/jupyterhub/"
        assert f"the platform answers at {url}" in up.stdout
        fallback = [line for line in up.stderr.splitlines() if "cannot be pulled" in line]
        assert fallback == [
            f"up: {ORIGINAL_LAB_IMAGE} cannot be pulled here; labs run the project's "
            f"data-science lab {DS_LAB_IMAGE} (images/lab)"
        ], up.stderr
        hub = docker(
            "ps",
            "-q",
            "--filter",
            f"label=com.docker.compose.project={project}",
            "--filter",
            "label=com.docker.compose.service=jupyterhub",
        ).stdout.strip()
        hub_env = docker("inspect", "-f", "{{json .Config.Env}}", hub).stdout
        assert f"DOCKER_NOTEBOOK_IMAGE={DS_LAB_IMAGE}" in json.loads(hub_env)
        command = re.search(r"^up:\s+(docker exec \S+ cat /data/admin-password)$", up.stdout, re.M)
        assert command, up.stdout
        password = subprocess.run(
            shlex.split(command.group(1)), capture_output=True, text=True, check=True
        ).stdout.strip()
        admin = HubClient(url)
        assert admin.log_in("admin", password).status_code == 302
        # A user of this stack's hub: remove-user-data.sh lists the volumes of its users only.
        admin.create_token("admin")
        assert admin.api("POST", f"/users/{user}").status_code == 201

        docker("volume", "create", user_volume)
        kept = run_script("remove-user-data.sh", env, "--accounts")
        assert kept.returncode == 1
        assert "stop it first" in kept.stderr

        down = run_script("down.sh", env)
        assert down.returncode == 0, down.stderr[-3000:]
        assert (
            docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}").stdout
            == ""
        )
        for volume in volumes:
            assert docker("volume", "inspect", volume, check=False).returncode == 0, volume

        unconfirmed = run_script("remove-user-data.sh", env, "--accounts")
        assert unconfirmed.returncode == 1
        assert user_volume in unconfirmed.stdout
        assert volumes[0] in unconfirmed.stdout
        assert "--yes" in unconfirmed.stderr
        for volume in (user_volume, volumes[0]):
            assert docker("volume", "inspect", volume, check=False).returncode == 0, volume
    finally:
        run_script("down.sh", env)
        docker("volume", "rm", *volumes, user_volume, check=False)
