"""Spawn profiles on the Docker path: the admin's profiles file, one profile per probed GPU,
and a chosen profile as DockerSpawner trait values. Pure except `load_profiles_file`.

The profiles file (`JUPYTERHUB_PROFILES_FILE`, docs/hub-settings.md) is YAML with a top-level
`profiles:` list; each entry has the Kubernetes profile's fields that mean something to Docker
(name, displayName, description, default, image, resources.limits.memory/cpu, gpus, extraEnv,
groups). A bad entry is left out with a log line naming it; the others are offered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import yaml
from traitlets.config import Config

from stellars_hub.contract import GpuPlacement
from stellars_hub.gpu.nvidia_smi import GpuInventory
from stellars_hub.lab import gpu_environment
from stellars_hub.profile_choice import configure_profile_choice
from stellars_hub.profiles import (
    PROFILES_KEY,
    Profile,
    ProfileError,
    ProfileGpu,
    offered_profiles,
    profiles_to_json,
    read_profile,
    slugify,
)

# Keys of a Kubernetes profile that Docker cannot honour: refused, so nobody believes they apply.
_KUBERNETES_ONLY: Final = ("nodeSelector", "tolerations", "gpuProduct")
# The DockerSpawner traits a profile sets for one spawn.
PROFILE_TRAITS: Final = ("image", "mem_limit", "cpu_limit", "extra_host_config", "environment")
_BINARY: Final = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}
_QUANTITY: Final = re.compile(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$")


def read_docker_profile(raw: Any, *, source: str) -> Profile:
    """One entry of the profiles file; `ProfileError` names the entry and the key."""
    if not isinstance(raw, Mapping):
        raise ProfileError(f"{source}: must be a mapping")
    for key in _KUBERNETES_ONLY:
        if key in raw:
            raise ProfileError(f"{source}.{key}: applies on Kubernetes only")
    count = raw.get("gpus") or 0
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ProfileError(f"{source}.gpus: must be a whole number of at least 0")
    profile = read_profile({k: v for k, v in raw.items() if k != "gpus"}, source=source)
    limits = dict(profile.limits)
    if "memory" in limits:
        memory_bytes(limits["memory"], source=f"{source}.resources.limits.memory")
    if "cpu" in limits:
        cpus(limits["cpu"], source=f"{source}.resources.limits.cpu")
    return replace(profile, gpu=ProfileGpu(count=count) if count else None)


def parse_profiles_file(document: Any, *, source: str) -> tuple[tuple[Profile, ...], list[str]]:
    """The valid profiles and one problem per entry left out."""
    if document is None:
        return (), []
    entries = document.get(PROFILES_KEY) if isinstance(document, Mapping) else None
    if entries is None:
        return (), []
    if not isinstance(entries, list):
        return (), [f"{source}: {PROFILES_KEY} must be a list"]
    profiles: list[Profile] = []
    problems: list[str] = []
    for index, raw in enumerate(entries):
        where = f"{source}: {PROFILES_KEY}[{index}]"
        try:
            profile = read_docker_profile(raw, source=where)
        except ProfileError as error:
            problems.append(str(error))
            continue
        if any(p.slug == profile.slug for p in profiles):
            problems.append(f"{where}.name: {profile.slug!r} is used by an earlier profile")
            continue
        profiles.append(profile)
    return tuple(profiles), problems


def load_profiles_file(path: Path) -> tuple[tuple[Profile, ...], list[str]]:
    """Read the profiles file; a missing one is no profiles, an unreadable one a problem."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return (), []
    except OSError as error:
        return (), [f"{path}: cannot be read ({error.strerror})"]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        return (), [f"{path}: not valid YAML ({error})"]
    return parse_profiles_file(document, source=str(path))


def _short_name(name: str) -> str:
    return name.removeprefix("NVIDIA ").strip() or name


def docker_gpu_profiles(inventory: GpuInventory) -> tuple[Profile, ...]:
    """One profile per probed GPU (and per MIG device), each pinned to its device id, so two
    users of a multi-GPU host get one GPU each instead of all of them."""
    profiles = []
    for gpu in inventory.gpus if inventory.available else ():
        name = f"1 x {_short_name(gpu.name)} (GPU {gpu.index})"
        profiles.append(
            Profile(
                slug=f"gpu-{gpu.index}",
                display_name=name,
                description=f"{gpu.name}, device {gpu.index}"
                + (f", {gpu.memory_mib} MiB" if gpu.memory_mib else ""),
                gpu=ProfileGpu(count=1, product=gpu.name, device_ids=(gpu.uuid or str(gpu.index),)),
            )
        )
    for mig in inventory.mig_devices if inventory.available else ():
        profiles.append(
            Profile(
                slug=slugify(f"mig-{mig.profile}-gpu{mig.gpu_index}-{mig.device}"),
                display_name=f"MIG {mig.profile} (GPU {mig.gpu_index}, device {mig.device})",
                description=f"A MIG slice of GPU {mig.gpu_index}",
                gpu=ProfileGpu(count=1, product=f"MIG {mig.profile}", device_ids=(mig.uuid,)),
            )
        )
    return tuple(profiles)


def memory_bytes(value: str, *, source: str) -> int:
    """ "4Gi", "512Mi", "4G" (DockerSpawner's binary G) or bytes -> bytes."""
    match = _QUANTITY.match(value.strip())
    if not match:
        raise ProfileError(f"{source}: {value!r} is not a memory size such as 4Gi or 512M")
    number, unit = float(match.group(1)), match.group(2) or ""
    factor = _BINARY.get(unit) or {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}.get(unit, 1024**4)
    return int(number * factor)


def cpus(value: str, *, source: str) -> float:
    """ "2", "1.5" or "500m" -> CPUs."""
    text = value.strip()
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        raise ProfileError(f"{source}: {value!r} is not a CPU count such as 2 or 500m") from None


def device_request(gpu: ProfileGpu) -> dict[str, Any]:
    """Docker's device request for these GPUs: the listed devices, else a count."""
    if gpu.device_ids:
        return {"Driver": "", "DeviceIDs": list(gpu.device_ids), "Capabilities": [["gpu"]]}
    return {"Driver": "", "Count": gpu.count, "Capabilities": [["gpu"]]}


def docker_profile_traits(
    profile: Profile, *, base: Mapping[str, Any], detected: bool
) -> dict[str, Any]:
    """DockerSpawner traits for one spawn with `profile`, over the hub-wide `base` values.

    `detected`: the GPUs were seen by the probe (NVIDIA_DETECTED), not only trusted.
    """
    gpu_on = profile.gpu is not None
    placement = GpuPlacement(enabled=gpu_on, reason=profile.slug, trusted=gpu_on and not detected)
    host_config = {
        k: v for k, v in dict(base["extra_host_config"]).items() if k != "device_requests"
    }
    if profile.gpu is not None:
        host_config["device_requests"] = [device_request(profile.gpu)]
    limits = profile.limits
    memory = base["mem_limit"]
    if "memory" in limits:
        memory = memory_bytes(limits["memory"], source="memory")
        if "memswap_limit" in host_config:
            # No swap beyond the memory limit, as for every lab (docker_spawner.confinement).
            host_config["memswap_limit"] = memory
    return {
        "image": profile.image or base["image"],
        "mem_limit": memory,
        "cpu_limit": cpus(limits["cpu"], source="cpu") if "cpu" in limits else base["cpu_limit"],
        "extra_host_config": host_config,
        "environment": {
            **dict(base["environment"]),
            **profile.extra_env,
            **gpu_environment(placement),
        },
    }


def offered_docker_profiles(
    admin: Sequence[Profile], inventory: GpuInventory | None
) -> tuple[Profile, ...]:
    """CPU, the admin's, one per probed GPU; none when there is nothing to choose."""
    generated = docker_gpu_profiles(inventory) if inventory is not None else ()
    if not admin and not generated:
        return ()
    return offered_profiles(admin, generated)


def configure_docker_profiles(
    c: Config, *, admin: Sequence[Profile], inventory: GpuInventory | None
) -> tuple[Profile, ...]:
    """Offer the profiles (none: no form, every lab as before); returns what is offered."""
    offered = offered_docker_profiles(admin, inventory)
    if offered:
        c.StellarsDockerSpawner.profile_documents = profiles_to_json(offered)
        c.StellarsDockerSpawner.gpus_detected = inventory is not None and inventory.available
        configure_profile_choice(c, "StellarsDockerSpawner")
    return offered
