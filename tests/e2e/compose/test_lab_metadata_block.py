"""Compose labs on their network: a lab reaches addresses beyond its network (the way to the
internet) and the hub's API, but not 169.254.169.254, another lab, Traefik or the hub's other
ports.

Nothing leaves this machine: the test owns 169.254.169.254 itself, in a network namespace behind
a veth pair, with a web server on port 80 that also answers on the namespace's other address.
A container on the platform's network without the lab's route reaches both (so a refusal is the
block, not an empty address); the user's lab reaches the other address and is refused the
metadata one at once, by its own routing table."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.fixtures.compose_people import User, sign_up_and_approve
from tests.fixtures.docker import (
    BASE_URL,
    INSECURE_OK,
    LAB_IMAGE,
    ComposeStack,
    StackFactory,
    docker,
)
from tests.fixtures.hub_client import HubClient
from tests.fixtures.polling import wait_for

pytestmark = [pytest.mark.docker, INSECURE_OK]

METADATA = "169.254.169.254"
NETNS = "stellars-metadata"
HOST_SIDE, NS_SIDE = "stmd-host", "stmd-ns"
HOST_IP, NS_IP, PREFIX = "10.213.252.1", "10.213.252.2", "/30"
# Prints the HTTP status, or the error's class and errno: what a lab's program would see.
DIAL = """
import sys, urllib.request
try:
    print(urllib.request.urlopen(f"http://{sys.argv[1]}/", timeout=10).status)
except OSError as error:
    reason = getattr(error, "reason", error)
    print(type(reason).__name__, getattr(reason, "errno", None))
"""
# A TCP connection to host:port: "connected", or the error's class and errno.
CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10).close()
    print("connected")
except OSError as error:
    print(type(error).__name__, error.errno)
"""
REFUSED_BY_THE_LAB = "PermissionError 13"  # the lab's own prohibit rule, no packet sent


def ip(*args: str, check: bool = True) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        pytest.fail(f"ip {' '.join(args)} failed: {result.stderr}")


def served(probe: list[str]) -> bool:
    done = subprocess.run(probe, check=False, capture_output=True, text=True)
    return done.stdout.strip() == "200"


def remove_fake_metadata() -> None:
    ip("route", "delete", f"{METADATA}/32", "via", NS_IP, check=False)
    ip("netns", "delete", NETNS, check=False)
    ip("link", "delete", HOST_SIDE, check=False)


@pytest.fixture
def fake_metadata_service() -> Iterator[None]:
    """169.254.169.254:80 and 10.213.252.2:80 served on this machine, in a namespace of ours."""
    remove_fake_metadata()  # what an interrupted run left
    ip("netns", "add", NETNS)
    server = None
    try:
        ip("link", "add", HOST_SIDE, "type", "veth", "peer", "name", NS_SIDE)
        ip("link", "set", NS_SIDE, "netns", NETNS)
        ip("address", "add", HOST_IP + PREFIX, "dev", HOST_SIDE)
        ip("link", "set", HOST_SIDE, "up")
        inside = ["netns", "exec", NETNS, "ip"]
        ip(*inside, "link", "set", "lo", "up")
        ip(*inside, "address", "add", NS_IP + PREFIX, "dev", NS_SIDE)
        ip(*inside, "address", "add", f"{METADATA}/32", "dev", NS_SIDE)
        ip(*inside, "link", "set", NS_SIDE, "up")
        ip(*inside, "route", "add", "default", "via", HOST_IP)
        ip("route", "add", f"{METADATA}/32", "via", NS_IP)
        server = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                NETNS,
                "python3",
                "-m",
                "http.server",
                "80",
                "--bind",
                "0.0.0.0",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = ["ip", "netns", "exec", NETNS, "python3", "-c", DIAL, METADATA]
        wait_for(
            lambda: subprocess.run(
                probe, check=False, capture_output=True, text=True
            ).stdout.strip()
            == "200",
            timeout=20,
            what="the fake metadata service",
        )
        yield
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        remove_fake_metadata()


def dial_from_lab(lab: str, address: str) -> str:
    return docker("exec", lab, "python3", "-c", DIAL, address, timeout=60).stdout.strip()


def dial_from_plain_container(network: str, address: str) -> str:
    run = ["run", "--rm", "--network", network, "--entrypoint", "python3", LAB_IMAGE]
    return docker(*run, "-c", DIAL, address, timeout=120).stdout.strip()


def test_a_lab_reaches_beyond_its_network_but_not_the_metadata_address(
    compose_stack: ComposeStack, lab_user: User, fake_metadata_service: None
) -> None:
    lab = f"jupyterlab-{lab_user.name}"

    # Without the lab's route, the platform's network reaches both addresses.
    assert dial_from_plain_container(compose_stack.network, METADATA) == "200"
    assert dial_from_plain_container(compose_stack.network, NS_IP) == "200"
    # The lab goes out the same way, but is refused the metadata address at once (EACCES).
    assert dial_from_lab(lab, NS_IP) == "200"
    assert dial_from_lab(lab, METADATA) == "PermissionError 13"


def address_on(container: str, network: str) -> str:
    template = f'{{{{(index .NetworkSettings.Networks "{network}").IPAddress}}}}'
    return docker("inspect", "-f", template, container).stdout.strip()


def connect_from_container(container: str, host: str, port: int) -> str:
    run = ["exec", container, "python3", "-c", CONNECT, host, str(port)]
    return docker(*run, timeout=60).stdout.strip()


connect_from_lab = connect_from_container


def connect_from_plain_container(network: str, host: str, port: int) -> str:
    run = ["run", "--rm", "--network", network, "--entrypoint", "python3", LAB_IMAGE]
    return docker(*run, "-c", CONNECT, host, str(port), timeout=120).stdout.strip()


def test_a_lab_reaches_the_hub_api_and_beyond_but_not_other_labs_traefik_or_other_hub_ports(
    compose_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    admin: HubClient,
    lab_user: User,
    fake_metadata_service: None,
) -> None:
    lab = f"jupyterlab-{lab_user.name}"
    neighbour = sign_up_and_approve(compose_stack, admin, compose_stack_factory.user_name())
    neighbour.client.start_server(neighbour.name)
    try:
        hub, traefik = compose_stack.container("jupyterhub"), compose_stack.container("traefik")
        hub_on_labs = address_on(hub, compose_stack.network)
        hub_on_front = address_on(hub, compose_stack.front_network)
        traefik_on_front = address_on(traefik, compose_stack.front_network)
        neighbour_lab = address_on(f"jupyterlab-{neighbour.name}", compose_stack.network)
        assert "" not in (hub_on_labs, hub_on_front, traefik_on_front, neighbour_lab)
        # Traefik is not on the labs' network at all.
        traefik_networks = docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", traefik)
        assert list(json.loads(traefik_networks.stdout)) == [compose_stack.front_network]

        # Live addresses: the hub reaches the neighbour's server (a lab answers the hub only),
        # a container on the front network reaches Traefik.
        assert connect_from_container(hub, neighbour_lab, 8888) == "connected"
        assert connect_from_plain_container(compose_stack.front_network, traefik_on_front, 443) == (
            "connected"
        )

        # The hub's API, by name and by address, and the way out.
        hub_api = f"jupyterhub:8081{BASE_URL}/hub/api"
        assert dial_from_lab(lab, hub_api) == "200"
        assert connect_from_lab(lab, hub_on_labs, 8081) == "connected"
        assert dial_from_lab(lab, NS_IP) == "200"
        # Nothing else: the proxy's public port is not served on the labs' network, the hub's
        # front address, Traefik and the neighbour's lab are refused by the lab itself.
        assert connect_from_lab(lab, hub_on_labs, 8000) == "ConnectionRefusedError 111"
        for port in (8000, 8081):
            assert connect_from_lab(lab, hub_on_front, port) == REFUSED_BY_THE_LAB, port
        for port in (80, 443, 8080):
            assert connect_from_lab(lab, traefik_on_front, port) == REFUSED_BY_THE_LAB, port
        assert connect_from_lab(lab, neighbour_lab, 8888) == REFUSED_BY_THE_LAB
        # No IPv6 address (link-local included) to go around the rules with.
        assert docker("exec", lab, "cat", "/proc/net/if_inet6").stdout.strip() == ""
        # The hub still reaches both labs: each serves its user through the hub.
        for user in (lab_user, neighbour):
            assert user.client.lab("GET", user.name, "/api/status").status_code == 200
    finally:
        neighbour.client.stop_server(neighbour.name)
