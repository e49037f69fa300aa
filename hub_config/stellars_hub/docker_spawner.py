"""DockerSpawner for the Compose path: the seed's containers, volumes and GPU passthrough.

`docker_spawner_traits` is the pure part (settings -> DockerSpawner trait values);
`StellarsDockerSpawner` only turns a lab image that cannot be had into a message the user sees;
`configure_docker` writes both into the hub's config.
"""

from __future__ import annotations

from typing import Any, Final

import docker.errors
from dockerspawner import DockerSpawner
from traitlets.config import Config

from stellars_hub.contract import GpuPlacement
from stellars_hub.gpu.probe import ALL_GPUS
from stellars_hub.lab import (
    SHARED_DIR,
    USER_VOLUMES,
    WORKSPACE_DIR,
    gpu_environment,
    service_environment,
)
from stellars_hub.names import safe_name
from stellars_hub.settings import HubSettings

# The seed's names; `{username}` is the user's safe name (DockerSpawner.escape below).
CONTAINER_NAME_TEMPLATE: Final = "jupyterlab-{username}"
SHARED_VOLUME: Final = "jupyterhub_shared"
# The seed's lab image is large; its first pull on a fresh host takes minutes.
START_TIMEOUT_S: Final = 300


class LabImageUnavailableError(Exception):
    """The lab image is neither on the host nor pullable; `jupyterhub_message` reaches the user."""

    def __init__(self, image: str, detail: str) -> None:
        self.jupyterhub_message = (
            f"The lab image {image} is not available on this host and could not be pulled "
            f"({detail}). Please tell the administrator."
        )
        super().__init__(self.jupyterhub_message)


class StellarsDockerSpawner(DockerSpawner):  # type: ignore[misc]
    """DockerSpawner whose spawns fail with a readable message when the image is missing.

    The pull happens before the container is created, so a failed pull leaves nothing behind.
    """

    async def pull_image(self, image: str) -> None:
        try:
            await super().pull_image(image)
        except docker.errors.DockerException as error:
            detail = " ".join(str(getattr(error, "explanation", None) or error).split())
            raise LabImageUnavailableError(image, detail[:300]) from error

    async def stop(self, now: bool = False) -> None:
        # JupyterHub stops a server whose start failed; when no container was created
        # there is nothing to stop, and DockerSpawner would ask Docker about an empty id.
        if not self.object_id:
            self.clear_state()
            return
        await super().stop(now=now)


def docker_volumes() -> dict[str, str]:
    """Volume name template -> mount point: three per user plus the shared one."""
    volumes = {
        f"{CONTAINER_NAME_TEMPLATE}_{suffix}": mount_point for suffix, mount_point in USER_VOLUMES
    }
    volumes[SHARED_VOLUME] = SHARED_DIR
    return volumes


def docker_spawner_traits(settings: HubSettings, *, gpu: GpuPlacement) -> dict[str, Any]:
    """DockerSpawner trait values for these settings and this GPU placement."""
    environment = service_environment(settings)
    environment.update(gpu_environment(gpu))
    return {
        "image": settings.notebook_image,
        # Pull at first use, as the seed did; a failed pull becomes LabImageUnavailableError.
        "pull_policy": "ifnotpresent",
        "network_name": settings.network_name,
        # The hub is on the same network: talk to labs by their internal address.
        "use_internal_ip": True,
        "name_template": CONTAINER_NAME_TEMPLATE,
        "escape": safe_name,
        "volumes": docker_volumes(),
        "notebook_dir": WORKSPACE_DIR,
        "extra_create_kwargs": {"working_dir": WORKSPACE_DIR},
        # Containers go when stopped; the named volumes stay.
        "remove": True,
        "environment": environment,
        "extra_host_config": {"device_requests": [dict(ALL_GPUS)]} if gpu.enabled else {},
        "start_timeout": START_TIMEOUT_S,
    }


def configure_docker(c: Config, settings: HubSettings, *, gpu: GpuPlacement) -> None:
    """Make the hub spawn labs as Docker containers on the platform's network."""
    c.JupyterHub.spawner_class = StellarsDockerSpawner
    for name, value in docker_spawner_traits(settings, gpu=gpu).items():
        setattr(c.DockerSpawner, name, value)
    c.JupyterHub.hub_connect_url = settings.hub_connect_url
