"""Compose labs reach the hub's API and the internet, never each other, the platform's other
containers or the cloud metadata address (169.254.169.254).

Labs share one Docker network with the hub (the hub proxies to them and they call its API), so
the boundary is drawn inside each lab: right after a lab container starts, and before the hub
routes anyone to it, a short-lived helper container joins the lab's network namespace and adds
policy-routing rules. The hub's address and the network's gateway (the way out) keep their
routes; every other address of every network the hub is on (other labs, Traefik) is `prohibit`,
and so is the metadata address (on a cloud VM it hands out the machine's credentials). A
connection there fails at once with "permission denied" and no packet leaves the lab. The rules
live and die with the lab's namespace (nothing on the host to clean up, nothing a host firewall
rewrite can lose), and the lab, which runs with no capabilities, cannot remove them. The helper
is the hub's own image (it has `ip`), runs as root in the lab's namespace with NET_ADMIN only.
On the hub's side, only the hub API listens on the lab network (the proxy's public port is
bound to the hub's address on the front network, `STELLARS_PROXY_BIND_HOST`).
`DOCKER_LAB_BLOCK_METADATA=0` leaves the metadata route out; the lab rules are always added.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

METADATA_ADDRESS: Final = "169.254.169.254"
BLOCK_COMMAND: Final = ("ip", "route", "add", "prohibit", f"{METADATA_ADDRESS}/32")
HELPER_TIMEOUT_S: Final = 60
# Rule priorities: after `local` (0, the lab's own addresses), before `main` (32766).
ALLOW_PRIORITY: Final = 100
PROHIBIT_PRIORITY: Final = 110

# DockerSpawner.docker: a docker-py APIClient method name and its arguments, run off the loop.
DockerCall = Callable[..., Awaitable[Any]]


class MetadataBlockError(Exception):
    """The rules could not be added; `jupyterhub_message` reaches the user, the lab is stopped."""

    def __init__(self, detail: str) -> None:
        self.jupyterhub_message = (
            "Your lab could not be isolated on its network (from other labs and the cloud "
            f"metadata address) and was stopped ({detail}). Please tell the administrator."
        )
        super().__init__(self.jupyterhub_message)


@dataclass(frozen=True)
class Attachment:
    """A container on one Docker network: its address there, the subnet, the gateway."""

    network: str
    address: ipaddress.IPv4Address
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address | None


def attachments(container: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """The IPv4 networks of a container, from its `docker inspect` (sorted by name)."""
    networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
    found = []
    for name, details in sorted(networks.items()):
        address, prefix = details.get("IPAddress"), details.get("IPPrefixLen")
        if not address or not prefix:
            continue
        gateway = details.get("Gateway")
        found.append(
            Attachment(
                network=name,
                address=ipaddress.IPv4Address(address),
                subnet=ipaddress.IPv4Network(f"{address}/{prefix}", strict=False),
                gateway=ipaddress.IPv4Address(gateway) if gateway else None,
            )
        )
    return tuple(found)


def isolation_commands(
    *,
    lab: tuple[Attachment, ...],
    hub: tuple[Attachment, ...],
    lab_network: str,
    block_metadata: bool,
) -> list[list[str]]:
    """`ip` commands for a lab's namespace: the hub's address on the lab network and that
    network's gateway stay reachable; the lab network and every subnet the hub is on are
    prohibited otherwise; and (optionally) the metadata address. A hub that is not on the lab
    network gets no way in (fail closed)."""
    own = next((a for a in lab if a.network == lab_network), None)
    if own is None:
        raise MetadataBlockError(f"the lab is not on the lab network {lab_network}")
    hub_here = [a.address for a in hub if a.network == lab_network]
    allowed = [*hub_here, *([own.gateway] if own.gateway else [])]
    commands = [
        ["ip", "rule", "add", "to", f"{address}/32", "lookup", "main", "pref", str(priority)]
        for priority, address in enumerate(allowed, start=ALLOW_PRIORITY)
    ]
    subnets = sorted({own.subnet, *(a.subnet for a in hub)})
    commands += [
        ["ip", "rule", "add", "to", str(subnet), "prohibit", "pref", str(priority)]
        for priority, subnet in enumerate(subnets, start=PROHIBIT_PRIORITY)
    ]
    if block_metadata:
        commands.append(list(BLOCK_COMMAND))
    return commands


def helper_host_config(lab_container_id: str) -> dict[str, Any]:
    """The helper's host config: in the lab's network namespace, NET_ADMIN and nothing else."""
    return {
        "NetworkMode": f"container:{lab_container_id}",
        "CapDrop": ["ALL"],
        "CapAdd": ["NET_ADMIN"],
        "SecurityOpt": ["no-new-privileges"],
    }


async def isolate_lab(
    docker: DockerCall, *, lab_container_id: str, image: str, commands: list[list[str]]
) -> None:
    """Run the commands inside the lab's namespace; `MetadataBlockError` when one fails."""
    script = " && ".join(shlex.join(command) for command in commands)
    helper = await docker(
        "create_container",
        image=image,
        entrypoint=["sh"],
        command=["-c", script],
        user="0",
        host_config=helper_host_config(lab_container_id),
        labels={"stellars.io/role": "lab-metadata-block"},
    )
    try:
        await docker("start", helper["Id"])
        result = await docker("wait", helper["Id"], timeout=HELPER_TIMEOUT_S)
        if result.get("StatusCode") != 0:
            output = await docker("logs", helper["Id"])
            detail = " ".join(output.decode(errors="replace").split())[:300]
            raise MetadataBlockError(f"ip exited {result.get('StatusCode')}: {detail}")
    finally:
        await docker("remove_container", helper["Id"], force=True)
