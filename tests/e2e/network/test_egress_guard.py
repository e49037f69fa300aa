"""The egress guard itself: it counts what leaves, refuses forwarded traffic, allows the resolver.

A model machine made of network namespaces stands in for the host, so the guard can be seen
counting a packet that really leaves without anything leaving this machine: `machine` routes
between a `container` behind it and an `outside` that plays the rest of the world (nothing
listens there, so its kernel answers every connection with a reset). The last test checks the
real guard on the real Docker engine: a container dialling an outside address is refused here.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.fixtures.egress_guard import EgressGuard, GuardError, run_guard
from tests.fixtures.images import base_image
from tests.fixtures.paths import REPO

pytestmark = pytest.mark.docker

MACHINE, CONTAINER, OUTSIDE = "stg-machine", "stg-container", "stg-outside"
EXTERNAL_IFACE = "stg-m-out"
OUTSIDE_IP, MACHINE_OUT_IP = "198.18.0.2", "198.18.0.1"
CONTAINER_IP = "198.18.1.2"
# An address nothing on this machine has: the guard must refuse it before it leaves.
UNROUTED_OUTSIDE = ("198.51.100.7", 80)

# Prints how a TCP connect ended: "connected", or the exception's class name.
CONNECT = """
import json, socket, sys
s = socket.socket(); s.settimeout(8)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); print(json.dumps("connected"))
except OSError as error:
    print(json.dumps(type(error).__name__))
"""


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True, timeout=30)


def dial(launcher: list[str], host: str, port: int) -> str:
    """Runs CONNECT under LAUNCHER (a namespace, a container); how the connect ended."""
    done = subprocess.run(
        [*launcher, "python3", "-c", CONNECT, host, str(port)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return str(json.loads(done.stdout))


def connect_from(netns: str, host: str, port: int) -> str:
    return dial(["ip", "netns", "exec", netns], host, port)


@dataclass(frozen=True)
class ModelMachine:
    resolver: str

    def guard(self, *args: str) -> str:
        # The model machine resolves no names: only its resolver is allowed (no registries).
        env = {"STELLARS_EXTERNAL_IFACES": EXTERNAL_IFACE, "STELLARS_EGRESS_RESOLVE": "0"}
        return run_guard(*args, netns=MACHINE, env=env)

    def left(self) -> int:
        return int(self.guard("count").strip())


def remove_namespaces() -> None:
    for ns in (MACHINE, CONTAINER, OUTSIDE):
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True, check=False)


@pytest.fixture
def model_machine() -> Iterator[ModelMachine]:
    remove_namespaces()  # left by a killed run
    resolvers = subprocess.run(
        ["bash", "-c", f"source {REPO}/tests/network/host-net.sh && host_resolvers"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert resolvers, "the host has no non-loopback resolver: the allowed-DNS case cannot be shown"
    resolver = resolvers[0]
    try:
        for ns in (MACHINE, CONTAINER, OUTSIDE):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh(
            "ip",
            "link",
            "add",
            "stg-c",
            "netns",
            CONTAINER,
            "type",
            "veth",
            "peer",
            "stg-m-in",
            "netns",
            MACHINE,
        )
        sh(
            "ip",
            "link",
            "add",
            "stg-o",
            "netns",
            OUTSIDE,
            "type",
            "veth",
            "peer",
            EXTERNAL_IFACE,
            "netns",
            MACHINE,
        )
        for ns, iface, cidr in (
            (CONTAINER, "stg-c", f"{CONTAINER_IP}/24"),
            (MACHINE, "stg-m-in", "198.18.1.1/24"),
            (MACHINE, EXTERNAL_IFACE, f"{MACHINE_OUT_IP}/24"),
            (OUTSIDE, "stg-o", f"{OUTSIDE_IP}/24"),
        ):
            sh("ip", "-n", ns, "addr", "add", cidr, "dev", iface)
            sh("ip", "-n", ns, "link", "set", iface, "up")
        sh("ip", "-n", CONTAINER, "route", "add", "default", "via", "198.18.1.1")
        sh("ip", "-n", OUTSIDE, "route", "add", "198.18.1.0/24", "via", MACHINE_OUT_IP)
        # The resolver lives "outside" too: the guard must let DNS to it through, uncounted.
        sh("ip", "-n", OUTSIDE, "addr", "add", f"{resolver}/32", "dev", "lo")
        sh("ip", "-n", MACHINE, "route", "add", f"{resolver}/32", "via", OUTSIDE_IP)
        sh("ip", "-n", CONTAINER, "route", "add", f"{resolver}/32", "via", "198.18.1.1")
        sh("ip", "netns", "exec", MACHINE, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        machine = ModelMachine(resolver=resolver)
        machine.guard("start")
        yield machine
    finally:
        remove_namespaces()


def test_a_packet_that_leaves_is_counted_and_named(model_machine: ModelMachine) -> None:
    # The SYN leaves the model machine; the outside answers with a reset.
    assert connect_from(MACHINE, OUTSIDE_IP, 8081) == "ConnectionRefusedError"
    assert model_machine.left() >= 1
    with pytest.raises(GuardError) as found:
        model_machine.guard("check")
    assert f"{MACHINE_OUT_IP} . {OUTSIDE_IP} . tcp . 8081" in str(found.value)


def test_forwarded_traffic_is_refused_before_it_leaves(model_machine: ModelMachine) -> None:
    assert connect_from(CONTAINER, OUTSIDE_IP, 8082) == "ConnectionRefusedError"
    assert model_machine.left() == 0
    assert f"{CONTAINER_IP} . {OUTSIDE_IP} . tcp . 8082" in model_machine.guard("refused")
    model_machine.guard("check")  # exit 0: nothing left


def test_dns_to_the_resolver_is_allowed_and_not_counted(model_machine: ModelMachine) -> None:
    # Reaches the outside namespace (its kernel resets: nothing listens on tcp/53 there).
    assert connect_from(CONTAINER, model_machine.resolver, 53) == "ConnectionRefusedError"
    assert connect_from(MACHINE, model_machine.resolver, 53) == "ConnectionRefusedError"
    assert model_machine.left() == 0
    assert "0 forwarded packet(s) refused" in model_machine.guard("refused")


def test_a_container_cannot_reach_an_outside_address(
    egress_guard: EgressGuard, docker_engine: None
) -> None:
    base = base_image()
    before = egress_guard.left()
    host, port = UNROUTED_OUTSIDE
    assert dial(["docker", "run", "--rm", base], host, port) == "ConnectionRefusedError"
    assert egress_guard.left() == before
