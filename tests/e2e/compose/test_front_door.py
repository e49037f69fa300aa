"""The front door of the Compose platform: Traefik serves the hub over HTTPS only, sends plain
HTTP there, and publishes no dashboard unless the override asks for it (with basic auth)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import subprocess

import pytest
import requests

from tests.fixtures.docker import COMPOSE_DIR, INSECURE_OK, ComposeStack, docker, docker_gid

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
    ]


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
