"""A stand-in for the internet on this machine, and reachability probes run inside a lab.

`stand_in_internet` creates a network namespace holding a documentation address (203.0.113.7,
"public" to the labs' egress rules) and the cloud metadata address, each with a TCP listener,
and routes both through a veth pair for traffic from the lab's pod only (a routing rule and
a table of its own, so the host's main table, and any other test's route to the metadata
address, stay as they are): pod traffic to them is forwarded by the host into the namespace and
never leaves the machine. Everything is removed afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.kubectl import kubectl_exec

PUBLIC_ADDRESS = "203.0.113.7"
METADATA_ADDRESS = "169.254.169.254"
LISTEN_PORT = 80
_NETNS = "stellars-egress-e2e"
_HOST_VETH, _NS_VETH = "stl-egr-h", "stl-egr-n"
# A /30 of its own for the veth pair's two ends.
_HOST_SIDE, _NS_SIDE = "10.254.77.1", "10.254.77.2"
# The routing rule's priority (ahead of the main table's 32766) and its table.
_RULE_PRIORITY = _TABLE = "7713"

# Runs in the lab: connect to each host:port at once; prints {"host:port": true|false}.
_PROBE = """
import json, socket, sys, concurrent.futures as f
def dial(target):
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=4).close()
        return True
    except OSError:
        return False
targets = sys.argv[1:]
with f.ThreadPoolExecutor(len(targets)) as pool:
    print(json.dumps(dict(zip(targets, pool.map(dial, targets)))))
"""


def _ip(*args: str, netns: bool = False) -> None:
    prefix = ["ip", "netns", "exec", _NETNS] if netns else []
    subprocess.run([*prefix, "ip", *args], check=True, capture_output=True, text=True)


def _remove() -> None:
    while (
        subprocess.run(
            ["ip", "rule", "del", "priority", _RULE_PRIORITY], capture_output=True, check=False
        ).returncode
        == 0
    ):
        pass
    subprocess.run(["ip", "route", "flush", "table", _TABLE], capture_output=True, check=False)
    subprocess.run(["ip", "link", "del", _HOST_VETH], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "del", _NETNS], capture_output=True, check=False)


@contextmanager
def stand_in_internet(source: str) -> Iterator[None]:
    """The public and metadata stand-ins, listening on port 80, for the duration of the block,
    reached from `source` (a block, e.g. the lab pod's address/32)."""
    _remove()
    listener: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(["ip", "netns", "add", _NETNS], check=True)
        _ip("link", "add", _HOST_VETH, "type", "veth", "peer", "name", _NS_VETH)
        _ip("link", "set", _NS_VETH, "netns", _NETNS)
        _ip("addr", "add", f"{_HOST_SIDE}/30", "dev", _HOST_VETH)
        _ip("link", "set", _HOST_VETH, "up")
        _ip("addr", "add", f"{_NS_SIDE}/30", "dev", _NS_VETH, netns=True)
        for address in (PUBLIC_ADDRESS, METADATA_ADDRESS):
            _ip("addr", "add", f"{address}/32", "dev", _NS_VETH, netns=True)
            _ip(
                "route", "add", f"{address}/32", "via", _NS_SIDE, "dev", _HOST_VETH, "table", _TABLE
            )
            _ip(
                "rule",
                "add",
                "priority",
                _RULE_PRIORITY,
                "from",
                source,
                "to",
                address,
                "lookup",
                _TABLE,
            )
        _ip("link", "set", _NS_VETH, "up", netns=True)
        _ip("link", "set", "lo", "up", netns=True)
        _ip("route", "add", "default", "via", _HOST_SIDE, netns=True)
        listener = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                _NETNS,
                sys.executable,
                "-m",
                "http.server",
                "--bind",
                "0.0.0.0",
                str(LISTEN_PORT),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        yield
    finally:
        if listener is not None:
            listener.terminate()
            listener.wait(timeout=10)
        _remove()


@dataclass(frozen=True)
class LabProbe:
    """Dials from inside one running lab pod."""

    pod: str
    namespace: str
    kubeconfig: str | Path

    def reaches(self, *targets: str) -> dict[str, bool]:
        result = kubectl_exec(
            self.pod,
            "python3",
            "-c",
            _PROBE,
            *targets,
            kubeconfig=self.kubeconfig,
            namespace=self.namespace,
        )
        assert result.returncode == 0, result.stderr
        reached: dict[str, bool] = json.loads(result.stdout)
        return reached

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return kubectl_exec(
            self.pod, *command, kubeconfig=self.kubeconfig, namespace=self.namespace
        )
