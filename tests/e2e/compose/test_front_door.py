"""The front door of the Compose platform: Traefik serves the hub over HTTPS only, sends plain
HTTP there, and publishes no dashboard unless the override asks for it (with basic auth)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests
import yaml

from tests.fixtures.docker import (
    COMPOSE_DIR,
    INSECURE_OK,
    ComposeStack,
    StackFactory,
    docker,
    docker_gid,
)

pytestmark = [pytest.mark.docker, INSECURE_OK]


def compose_config(*files: str) -> dict:
    """The configuration a plain `make up` would run: .env as shipped, no overrides."""
    settings = {
        line.split("=", 1)[0]
        for line in (COMPOSE_DIR / ".env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    env = {k: v for k, v in os.environ.items() if k not in settings and k != "COMPOSE_PROJECT_NAME"}
    args = ["docker", "compose", "--env-file", ".env"]
    for name in files:
        args += ["-f", name]
    result = subprocess.run(
        [*args, "config", "--format", "json"],
        cwd=COMPOSE_DIR,
        env={**env, "DOCKER_GID": docker_gid()},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_default_stack_keeps_the_seeds_names_and_publishes_no_dashboard(
    docker_compose_cli: None,
) -> None:
    config = compose_config("compose.yml")

    assert config["networks"]["jupyterhub_network"]["name"] == "jupyterhub_network"
    assert {v["name"] for v in config["volumes"].values()} == {
        "jupyterhub_data",
        "jupyterhub_certs",
        "jupyterhub_shared",
    }
    traefik = config["services"]["traefik"]
    assert sorted(int(p["target"]) for p in traefik["ports"]) == [80, 443]
    assert not any(key.startswith("TRAEFIK_API") for key in traefik["environment"])
    hub_env = config["services"]["jupyterhub"]["environment"]
    assert hub_env["JUPYTERHUB_BASE_URL"] == "/jupyterhub"
    assert config["services"]["watchtower"]["command"] == [
        "--schedule=0 0 0 * * *",
        "--cleanup",
        "--label-enable",
        "--scope=stellars-jupyterhub-ds",
    ]


def test_override_example_is_valid_and_shows_gpu_cifs_and_a_config_mount(
    docker_compose_cli: None,
) -> None:
    config = compose_config("compose.yml", "compose_override.example.yml")

    hub = config["services"]["jupyterhub"]
    assert hub["environment"]["ENABLE_GPU_SUPPORT"] == "1"
    assert "/srv/jupyterhub/jupyterhub_config.py" in {v["target"] for v in hub["volumes"]}
    shared = config["volumes"]["jupyterhub_shared"]
    assert shared["name"] == "jupyterhub_shared"
    assert shared["driver_opts"]["type"] == "cifs"
    assert config["services"]["traefik"]["environment"]["TRAEFIK_API_DASHBOARD"] == "true"


def test_plain_http_redirects_to_https(compose_stack: ComposeStack) -> None:
    response = requests.get(
        f"http://localhost:{compose_stack.http_port}/jupyterhub/hub/health",
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["Location"].startswith(
        f"https://localhost:{compose_stack.https_port}/jupyterhub/hub/health"
    )


def test_hub_is_served_with_the_provisioned_certificate(compose_stack: ComposeStack) -> None:
    with socket.create_connection(("localhost", compose_stack.https_port), timeout=10) as raw:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            served = tls.getpeercert(binary_form=True)
    provisioned = compose_stack.compose(
        "exec", "-T", "jupyterhub", "cat", "/mnt/certs/server.crt"
    ).stdout
    body = "".join(line for line in provisioned.splitlines() if "CERTIFICATE" not in line)
    assert hashlib.sha256(served).digest() == hashlib.sha256(base64.b64decode(body)).digest()


def test_traefik_dashboard_is_not_reachable_by_default(compose_stack: ComposeStack) -> None:
    base = f"https://localhost:{compose_stack.https_port}"
    for path in ("/dashboard/", "/api/rawdata", "/api/overview"):
        assert requests.get(base + path, verify=False, timeout=10).status_code == 404, path
    traefik = json.loads(docker("inspect", compose_stack.container("traefik")).stdout)[0]
    published = {port for port, bound in traefik["NetworkSettings"]["Ports"].items() if bound}
    assert published == {"80/tcp", "443/tcp"}
    # Not even inside the network: Traefik's own entrypoint (:8080) serves the ping, no API.
    probe = (
        "import urllib.request as r, urllib.error as e\n"
        "try: r.urlopen('http://traefik:8080/api/rawdata', timeout=5); print(200)\n"
        "except e.HTTPError as x: print(x.code)\n"
    )
    inside = compose_stack.compose("exec", "-T", "jupyterhub", "python3", "-c", probe)
    assert inside.stdout.strip() == "404"


DASHBOARD_PASSWORD = "dashboard-Pass-1"


@pytest.fixture(scope="module")
def dashboard_stack(
    compose_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ComposeStack]:
    """A second stack, next to the default one, with the override example's dashboard part
    (as a person would copy it, with their own password hash)."""
    example = yaml.safe_load((COMPOSE_DIR / "compose_override.example.yml").read_text())
    traefik = example["services"]["traefik"]
    digest = base64.b64encode(hashlib.sha1(DASHBOARD_PASSWORD.encode()).digest()).decode()
    users = "DASHBOARD_BASIC_AUTH_USERS"
    assert users in traefik["environment"]
    traefik["environment"][users] = f"admin:{{SHA}}{digest}"
    override = tmp_path_factory.mktemp("dashboard") / "compose_override.yml"
    override.write_text(yaml.safe_dump({"services": {"traefik": traefik}}))
    stack = compose_stack_factory(override)
    yield stack
    stack.remove()


def test_dashboard_opt_in_from_the_override_example_needs_basic_auth(
    dashboard_stack: ComposeStack,
) -> None:
    base = f"https://localhost:{dashboard_stack.https_port}"

    # Traefik routes to a container once it is healthy, itself included.
    deadline = time.monotonic() + 60
    while (
        anonymous := requests.get(f"{base}/dashboard/", verify=False, timeout=10)
    ).status_code == 404 and time.monotonic() < deadline:
        time.sleep(2)
    wrong = requests.get(f"{base}/api/rawdata", auth=("admin", "nope"), verify=False, timeout=10)
    api = requests.get(
        f"{base}/api/rawdata", auth=("admin", DASHBOARD_PASSWORD), verify=False, timeout=10
    )

    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert api.status_code == 200
    # It routes to its own project's hub only, not also to the other stack's on this engine.
    # (Traefik has no Docker provider: its routes come from compose/traefik/routes.yml.)
    assert "jupyterhub@file" in api.json()["routers"]
    servers = api.json()["services"]["jupyterhub@file"]["loadBalancer"]["servers"]
    assert len(servers) == 1


def test_a_second_stack_leaves_the_first_ones_watchtower_running(
    compose_stack: ComposeStack, dashboard_stack: ComposeStack
) -> None:
    # Watchtower runs only when opted in (ENABLE_AUTO_UPDATE=1): both stacks opt in, in turn.
    stacks = [
        dataclasses.replace(stack, env={**stack.env, "ENABLE_AUTO_UPDATE": "1"})
        for stack in (compose_stack, dashboard_stack)
    ]
    try:
        for stack in stacks:
            stack.compose("up", "-d", "--no-deps", "watchtower")
        for stack in stacks:
            watchtower = stack.container("watchtower")
            assert watchtower, f"{stack.project} has no watchtower container"
            state = json.loads(docker("inspect", "-f", "{{json .State}}", watchtower).stdout)
            assert state["Running"] is True, stack.project
    finally:
        for stack in (compose_stack, dashboard_stack):
            stack.compose("up", "-d", "--no-deps", "watchtower", check=False)
