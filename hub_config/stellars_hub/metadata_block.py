"""Compose labs keep the internet but never reach the cloud metadata address (169.254.169.254).

On a cloud VM that address hands out the machine's credentials to whoever asks, and a lab's
default route leads there through the host. Right after a lab container starts, and before the
hub routes anyone to it, a short-lived helper container joins the lab's network namespace and
adds a `prohibit` route for the address: a connection fails at once with "permission denied",
no packet leaves the lab. The rule lives and dies with the lab's namespace (nothing on the
host to clean up), and the lab, which runs with no capabilities, cannot remove it. The helper
is the hub's own image (it has `ip`), runs as root in the lab's namespace with NET_ADMIN only.
`DOCKER_LAB_BLOCK_METADATA=0` turns this off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

METADATA_ADDRESS: Final = "169.254.169.254"
BLOCK_COMMAND: Final = ("ip", "route", "add", "prohibit", f"{METADATA_ADDRESS}/32")
HELPER_TIMEOUT_S: Final = 60

# DockerSpawner.docker: a docker-py APIClient method name and its arguments, run off the loop.
DockerCall = Callable[..., Awaitable[Any]]


class MetadataBlockError(Exception):
    """The route could not be added; `jupyterhub_message` reaches the user, the lab is stopped."""

    def __init__(self, detail: str) -> None:
        self.jupyterhub_message = (
            "Your lab could not be isolated from the cloud metadata address and was stopped "
            f"({detail}). Please tell the administrator."
        )
        super().__init__(self.jupyterhub_message)


def helper_host_config(lab_container_id: str) -> dict[str, Any]:
    """The helper's host config: in the lab's network namespace, NET_ADMIN and nothing else."""
    return {
        "NetworkMode": f"container:{lab_container_id}",
        "CapDrop": ["ALL"],
        "CapAdd": ["NET_ADMIN"],
        "SecurityOpt": ["no-new-privileges"],
    }


async def block_metadata(docker: DockerCall, *, lab_container_id: str, image: str) -> None:
    """Add the route inside the lab's namespace; `MetadataBlockError` when that fails."""
    helper = await docker(
        "create_container",
        image=image,
        entrypoint=[BLOCK_COMMAND[0]],
        command=list(BLOCK_COMMAND[1:]),
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
            raise MetadataBlockError(f"ip route exited {result.get('StatusCode')}: {detail}")
    finally:
        await docker("remove_container", helper["Id"], force=True)
