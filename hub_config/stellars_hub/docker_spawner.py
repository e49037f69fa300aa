"""DockerSpawner for the Compose path: the seed's containers, volumes and GPU passthrough.

`docker_spawner_traits` is the pure part (settings -> DockerSpawner trait values);
`StellarsDockerSpawner` only turns a lab image that cannot be had into a message the user sees;
`configure_docker` writes both into the hub's config.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any, Final

import docker.errors
from dockerspawner import DockerSpawner
from traitlets import Bool, Dict, List, Unicode
from traitlets.config import Config

from stellars_hub.account_record import RECORD_FILE, spawner_identity
from stellars_hub.contract import GpuPlacement
from stellars_hub.docker_profiles import PROFILE_TRAITS, docker_profile_traits
from stellars_hub.gpu.probe import ALL_GPUS
from stellars_hub.lab import (
    SHARED_DIR,
    USER_VOLUMES,
    WORKSPACE_DIR,
    gpu_environment,
    service_environment,
)
from stellars_hub.metadata_block import (
    Attachment,
    attachments,
    isolate_lab,
    isolation_commands,
)
from stellars_hub.names import safe_name
from stellars_hub.profile_choice import chosen_profile
from stellars_hub.profiles import Profile, profiles_from_json
from stellars_hub.settings import HubSettings, LabLimits, LabVolume
from stellars_hub.volume_owner import Existing, Use, VolumeRefusedError, check_volume

# The seed's names; `{username}` is the user's safe name (DockerSpawner.escape below).
CONTAINER_NAME_TEMPLATE: Final = "jupyterlab-{username}"
SHARED_VOLUME: Final = "jupyterhub_shared"
# The seed's lab image is large; its first pull on a fresh host takes minutes.
START_TIMEOUT_S: Final = 300
DEFAULT_SHM_BYTES: Final = 1024**3


class LabImageUnavailableError(Exception):
    """The lab image is neither on the host nor pullable; `jupyterhub_message` reaches the user."""

    def __init__(self, image: str, detail: str) -> None:
        self.jupyterhub_message = (
            f"The lab image {image} is not available on this host and could not be pulled "
            f"({detail}). Please tell the administrator."
        )
        super().__init__(self.jupyterhub_message)


# How an admin gives a newer account the volumes of its name (volume_owner.py).
ADOPT_ON_DOCKER: Final = (
    "in compose/: docker compose exec jupyterhub python -m stellars_hub.account_record adopt {user}"
)


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

    # The lab's network rules (metadata_block.py): other labs and the hub's other networks
    # always prohibited; 169.254.169.254 too unless DOCKER_LAB_BLOCK_METADATA=0.
    isolate_from_metadata = Bool(
        True, config=True, help="Route 169.254.169.254 nowhere in each lab."
    )
    metadata_helper_image = Unicode(
        "", config=True, help="Image with `ip` that adds the rules (the hub's own)."
    )
    hub_container = Unicode(
        "", config=True, help="The hub's container (empty: its hostname, Docker's default)."
    )

    async def _hub_attachments(self) -> tuple[Attachment, ...]:
        """The hub's own networks; none when the hub is no container of this engine (a hub run
        on the host reaches labs through the gateway, which every lab keeps)."""
        try:
            hub = await self.docker("inspect_container", self.hub_container or socket.gethostname())
        except docker.errors.NotFound:
            self.log.warning("The hub is no container of this engine: labs allow only the gateway")
            return ()
        return attachments(hub)

    async def start_object(self) -> None:
        await super().start_object()
        try:
            lab = await self.docker("inspect_container", self.container_id)
            commands = isolation_commands(
                lab=attachments(lab),
                hub=await self._hub_attachments(),
                lab_network=self.network_name,
                block_metadata=self.isolate_from_metadata,
            )
            await isolate_lab(
                self.docker,
                lab_container_id=self.container_id,
                image=self.metadata_helper_image,
                commands=commands,
            )
        except Exception:
            # Fail closed: a lab that could reach other labs or the metadata address never
            # gets a route.
            await self.stop_object()
            raise

    # Spawn profiles (docker_profiles.py): the offered list, fixed at start-up.
    profile_documents = List(Dict(), config=True, help="Offered profiles (profiles_to_json).")
    gpus_detected = Bool(False, config=True, help="The GPUs of the profiles were probed.")

    def offered_profiles(self) -> tuple[Profile, ...]:
        return profiles_from_json(list(self.profile_documents), source="profile_documents")

    volume_record_file = Unicode(
        "/data/volume-owners.json", config=True, help="The hub's account record (account_record)."
    )

    async def ensure_user_volumes(self) -> None:
        """Create this user's volumes stamped with the account, or check the existing ones'
        stamps; refuse before any container mounts a volume that is not this account's."""
        spawner = spawner_identity(
            Path(self.volume_record_file),
            user=self.user.name,
            created=self.user.orm_user.created,
        )
        for suffix, _ in USER_VOLUMES:
            name = self.format_volume_name(f"{CONTAINER_NAME_TEMPLATE}_{suffix}", self)
            try:
                volume = await self.docker("inspect_volume", name)
            except docker.errors.NotFound:
                volume = None
            existing = None if volume is None else Existing(name, volume.get("Labels") or {}, {})
            verdict = check_volume(
                existing,
                spawner,
                hub_name=None,
                how_to_adopt=ADOPT_ON_DOCKER.format(user=self.user.name),
            )
            if not verdict.allowed:
                self.log.warning("%s: %s", self.user.name, verdict.refusal)
                raise VolumeRefusedError(verdict.refusal)
            if verdict.use is Use.CREATE:
                await self.docker("create_volume", name=name, labels=spawner.stamp())

    async def start(self, *args: Any, **kwargs: Any) -> Any:
        await self.ensure_user_volumes()
        profile = chosen_profile(self)
        if profile is not None:
            # The configured values, kept once: each spawn starts from them, not the last one's.
            if not hasattr(self, "_profile_base"):
                self._profile_base = {name: getattr(self, name) for name in PROFILE_TRAITS}
            traits = docker_profile_traits(
                profile, base=self._profile_base, detected=self.gpus_detected
            )
            for name, value in traits.items():
                setattr(self, name, value)
        address = await super().start(*args, **kwargs)
        # DockerSpawner returns once the container runs, about 2 s before the lab listens;
        # JupyterHub then polls with a doubling backoff and notices the lab late (1.4 s on
        # median, docs/benchmarks.md). Waiting here, in steps of 0.1 s, hands it a lab that
        # answers its first poll. A lab that never listens is left to JupyterHub's own timeout.
        if isinstance(address, tuple) and len(address) == 2:
            await wait_until_listening(
                str(address[0]), int(address[1]), timeout_s=self.http_timeout
            )
        return address


async def wait_until_listening(
    host: str, port: int, *, timeout_s: float, step_s: float = 0.1
) -> bool:
    """Whether host:port accepted a TCP connection within `timeout_s`."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), step_s * 5)
        except (OSError, TimeoutError):
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(step_s)
        else:
            writer.close()
            return True


def docker_volumes(extra: tuple[LabVolume, ...] = ()) -> dict[str, Any]:
    """Volume name template -> mount point: three per user, the shared one, then
    DOCKER_LAB_EXTRA_VOLUMES (a name or a host path; read-only ones with mode ro)."""
    volumes: dict[str, Any] = {
        f"{CONTAINER_NAME_TEMPLATE}_{suffix}": mount_point for suffix, mount_point in USER_VOLUMES
    }
    volumes[SHARED_VOLUME] = SHARED_DIR
    for volume in extra:
        mode = "ro" if volume.read_only else "rw"
        volumes[volume.source] = {"bind": volume.target, "mode": mode}
    return volumes


def shm_size(settings: HubSettings) -> int:
    """/dev/shm in bytes: DOCKER_LAB_SHM_SIZE, else half the lab's memory limit (Linux's own
    default is half the RAM), else 1 GiB for a lab without a memory limit."""
    return settings.lab_shm_bytes or settings.lab_limits.memory_bytes // 2 or DEFAULT_SHM_BYTES


def confinement(limits: LabLimits) -> dict[str, Any]:
    """Host-config keys that bound one lab: memory (no swap beyond it), processes, privileges.

    The lab image runs as its own non-root user from the first process, so it needs no
    capability at all; `no-new-privileges` keeps set-uid programs (sudo) from gaining any.
    """
    host_config: dict[str, Any] = {
        "security_opt": ["no-new-privileges"],
        "cap_drop": ["ALL"],
    }
    if limits.memory_bytes:
        # Equal to the memory limit: a lab past it is killed instead of swapping the host.
        host_config["memswap_limit"] = limits.memory_bytes
    if limits.pids:
        host_config["pids_limit"] = limits.pids
    return host_config


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
        "volumes": docker_volumes(settings.lab_extra_volumes),
        "notebook_dir": WORKSPACE_DIR,
        "extra_create_kwargs": {"working_dir": WORKSPACE_DIR},
        # Containers go when stopped; the named volumes stay.
        "remove": True,
        "environment": environment,
        "extra_host_config": {
            **confinement(settings.lab_limits),
            "shm_size": shm_size(settings),
            **({"device_requests": [dict(ALL_GPUS)]} if gpu.enabled else {}),
        },
        # None: no limit (0 in the settings).
        "mem_limit": settings.lab_limits.memory_bytes or None,
        "cpu_limit": settings.lab_limits.cpus or None,
        "start_timeout": START_TIMEOUT_S,
    }


def configure_docker(c: Config, settings: HubSettings, *, gpu: GpuPlacement) -> None:
    """Make the hub spawn labs as Docker containers on the platform's network."""
    c.JupyterHub.spawner_class = StellarsDockerSpawner
    for name, value in docker_spawner_traits(settings, gpu=gpu).items():
        setattr(c.DockerSpawner, name, value)
    c.JupyterHub.hub_connect_url = settings.hub_connect_url
    c.StellarsDockerSpawner.isolate_from_metadata = settings.block_metadata
    c.StellarsDockerSpawner.metadata_helper_image = settings.hub_image
    if settings.proxy_bind_host:
        # The proxy's public port listens on the front network only (Traefik's side).
        c.JupyterHub.ip = settings.proxy_bind_host
    c.StellarsDockerSpawner.volume_record_file = str(settings.data_dir / RECORD_FILE)
