"""The hub's settings: environment variables -> one frozen `HubSettings` (docs/hub-settings.md).

Every value is checked here, once, so that a bad one stops the hub at start-up with a single
line naming the variable, the value and what it accepts, instead of failing later mid-spawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from stellars_hub.contract import DEFAULT_NOTEBOOK_IMAGE, CullingPolicy, GpuMode

SpawnerKind = Literal["docker", "kubernetes"]

DEFAULT_NETWORK_NAME: Final = "jupyterhub_network"
DEFAULT_AUTODETECT_IMAGE: Final = "nvidia/cuda:12.9.1-base-ubuntu24.04"
DEFAULT_HUB_SETTINGS_PATH: Final = "/etc/stellars/settings.json"
DEFAULT_GPU_SETTINGS_PATH: Final = "/etc/stellars/gpu/gpu.json"
# Next to jupyterhub_config.py in the hub image; compose.yml mounts compose/profiles.yaml there.
DEFAULT_PROFILES_FILE: Final = "/srv/jupyterhub/profiles.yaml"
DEFAULT_EXTRA_CONFIG_DIR: Final = "/etc/stellars/extra-config"
# The lab's own mounts (lab.py): an extra volume may not take one, nor sit inside one but /home.
RESERVED_LAB_PATHS: Final = (
    "/home",
    "/home/lab/workspace",
    "/home/lab/.cache",
    "/mnt/shared",
    "/dev/shm",
)
# The Compose service of the hub is called `jupyterhub` (the seed's name); labs on the Docker
# network reach the hub API through it.
DEFAULT_DOCKER_HUB_CONNECT_URL: Final = "http://jupyterhub:8081"
DEFAULT_AUTODETECT_TIMEOUT_S: Final = 60
# The hub's own image; Compose passes JUPYTERHUB_IMAGE as STELLARS_HUB_IMAGE.
DEFAULT_HUB_IMAGE: Final = "stellars/stellars-jupyterhub-ds:0.1.0"

# nativeauthenticator refuses these in user names; an admin name with one could never log in.
_FORBIDDEN_NAME_CHARS: Final = frozenset(", /")
_URL_SCHEMES: Final = ("http://", "https://")
# ENABLE_GPU_SUPPORT: the seed's numbers for the three GPU modes.
GPU_MODE_FLAGS: Final = {"0": GpuMode.OFF, "1": GpuMode.ON, "2": GpuMode.AUTO}
# Docker mode's lab limits: enough for data-science work, small enough that one runaway lab
# leaves the hub and the other labs room to answer (docs/hub-settings.md).
DEFAULT_LAB_MEMORY: Final = "4G"
DEFAULT_LAB_CPUS: Final = "2"
DEFAULT_LAB_PIDS: Final = 4096
_BYTE_UNITS: Final = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


class SettingsError(ValueError):
    """A setting has a value the hub cannot use; the message is one line for the operator."""


@dataclass(frozen=True)
class LabServices:
    """Which optional services the lab image starts (passed to labs as ENABLE_SERVICE_*)."""

    mlflow: bool = True
    glances: bool = True
    tensorboard: bool = True


@dataclass(frozen=True)
class LabLimits:
    """Docker mode: per-lab memory (bytes), CPUs and processes; 0 means no limit."""

    memory_bytes: int = 4 * 1024**3
    cpus: float = 2.0
    pids: int = DEFAULT_LAB_PIDS


@dataclass(frozen=True)
class LabVolume:
    """Docker mode: one entry of DOCKER_LAB_EXTRA_VOLUMES, `source:target[:ro|rw]`."""

    source: str
    target: str
    read_only: bool = False


@dataclass(frozen=True)
class HubSettings:
    """Everything the hub configuration reads from its environment."""

    spawner: SpawnerKind
    admin_user: str = "admin"
    # repr=False: the settings object gets logged; the password must not be.
    admin_password: str = field(default="", repr=False)
    base_url: str = "/jupyterhub/"
    notebook_image: str = DEFAULT_NOTEBOOK_IMAGE
    network_name: str = DEFAULT_NETWORK_NAME
    gpu_mode: GpuMode = GpuMode.AUTO
    ssl: bool = False
    services: LabServices = LabServices()
    autodetect_image: str = DEFAULT_AUTODETECT_IMAGE
    autodetect_timeout_s: int = DEFAULT_AUTODETECT_TIMEOUT_S
    tf_cpp_min_log_level: int = 3
    data_dir: Path = Path("/data")
    hub_connect_url: str = DEFAULT_DOCKER_HUB_CONNECT_URL
    # Docker mode only (Kubernetes: spec.resources and spec.culling, through settings.json).
    lab_limits: LabLimits = LabLimits()
    # Labs never reach 169.254.169.254 (metadata_block.py); the hub's image adds the route.
    block_metadata: bool = True
    hub_image: str = DEFAULT_HUB_IMAGE
    # Docker mode: the host the proxy's public port binds to (Compose: the hub's name on the
    # front network, so labs never reach it); empty: every interface.
    proxy_bind_host: str = ""
    culling: CullingPolicy = field(default_factory=CullingPolicy)
    # /dev/shm of each lab in bytes; 0: half the lab's memory limit (docker_spawner.py).
    lab_shm_bytes: int = 0
    lab_extra_volumes: tuple[LabVolume, ...] = ()
    # Snippets run after this package's configuration (extra_config.py); the operator mounts
    # spec.hub.extraConfig there.
    extra_config_dir: Path = Path(DEFAULT_EXTRA_CONFIG_DIR)
    # Kubernetes mode only (set by the operator).
    hub_settings_path: Path = Path(DEFAULT_HUB_SETTINGS_PATH)
    gpu_settings_path: Path = Path(DEFAULT_GPU_SETTINGS_PATH)
    # Docker mode: the admin's spawn profiles (docker_profiles.py).
    profiles_file: Path = Path(DEFAULT_PROFILES_FILE)
    proxy_api_url: str = ""
    namespace: str = ""


def load_settings(environ: Mapping[str, str]) -> HubSettings:
    """Read and check every setting; raise `SettingsError` on the first bad one."""
    env = _Environment(environ)
    spawner = _spawner_kind(env)
    kubernetes = spawner == "kubernetes"
    return HubSettings(
        spawner=spawner,
        admin_user=_admin_user(env),
        admin_password=env.get("JUPYTERHUB_ADMIN_PASSWORD", ""),
        base_url=_base_url(env),
        notebook_image=_word(env, "DOCKER_NOTEBOOK_IMAGE", DEFAULT_NOTEBOOK_IMAGE),
        network_name=_word(env, "DOCKER_NETWORK_NAME", DEFAULT_NETWORK_NAME),
        gpu_mode=_gpu_mode(env),
        ssl=_flag(env, "ENABLE_JUPYTERHUB_SSL", default=False),
        services=LabServices(
            mlflow=_flag(env, "ENABLE_SERVICE_MLFLOW", default=True),
            glances=_flag(env, "ENABLE_SERVICE_GLANCES", default=True),
            tensorboard=_flag(env, "ENABLE_SERVICE_TENSORBOARD", default=True),
        ),
        autodetect_image=_word(env, "NVIDIA_AUTODETECT_IMAGE", DEFAULT_AUTODETECT_IMAGE),
        autodetect_timeout_s=_positive_int(
            env, "NVIDIA_AUTODETECT_TIMEOUT", DEFAULT_AUTODETECT_TIMEOUT_S
        ),
        tf_cpp_min_log_level=_log_level(env),
        data_dir=_absolute_path(env, "STELLARS_DATA_DIR", "/data"),
        hub_connect_url=_url(
            env,
            "STELLARS_HUB_CONNECT_URL",
            default="" if kubernetes else DEFAULT_DOCKER_HUB_CONNECT_URL,
            required=kubernetes,
        ),
        lab_limits=LabLimits(
            memory_bytes=_bytes(env, "DOCKER_LAB_MEM_LIMIT", DEFAULT_LAB_MEMORY),
            cpus=_cpus(env, "DOCKER_LAB_CPU_LIMIT", DEFAULT_LAB_CPUS),
            pids=_count(env, "DOCKER_LAB_PIDS_LIMIT", DEFAULT_LAB_PIDS),
        ),
        culling=_culling(env),
        block_metadata=_flag(env, "DOCKER_LAB_BLOCK_METADATA", default=True),
        hub_image=_word(env, "STELLARS_HUB_IMAGE", DEFAULT_HUB_IMAGE),
        proxy_bind_host=_word(env, "STELLARS_PROXY_BIND_HOST", ""),
        lab_shm_bytes=_bytes(env, "DOCKER_LAB_SHM_SIZE", "0"),
        lab_extra_volumes=_lab_volumes(env, "DOCKER_LAB_EXTRA_VOLUMES"),
        extra_config_dir=_absolute_path(env, "STELLARS_EXTRA_CONFIG_DIR", DEFAULT_EXTRA_CONFIG_DIR),
        hub_settings_path=_absolute_path(env, "STELLARS_HUB_SETTINGS", DEFAULT_HUB_SETTINGS_PATH),
        gpu_settings_path=_absolute_path(env, "STELLARS_GPU_SETTINGS", DEFAULT_GPU_SETTINGS_PATH),
        profiles_file=_absolute_path(env, "JUPYTERHUB_PROFILES_FILE", DEFAULT_PROFILES_FILE),
        proxy_api_url=_url(env, "STELLARS_PROXY_API_URL", default="", required=kubernetes),
        namespace=_namespace(env, required=kubernetes),
    )


class _Environment:
    """The environment with empty values treated as unset (Compose `.env` files write `X=`)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str, default: str) -> str:
        value = self._environ.get(name, "").strip()
        return value or default

    def has(self, name: str) -> bool:
        return bool(self._environ.get(name, "").strip())


def _invalid(name: str, value: str, accepts: str) -> SettingsError:
    return SettingsError(f"{name}={value!r} is not valid: expected {accepts}")


def _spawner_kind(env: _Environment) -> SpawnerKind:
    # A pod always has KUBERNETES_SERVICE_HOST; a Compose container never does.
    default = "kubernetes" if env.has("KUBERNETES_SERVICE_HOST") else "docker"
    value = env.get("JUPYTERHUB_SPAWNER", default)
    if value == "docker":
        return "docker"
    if value == "kubernetes":
        return "kubernetes"
    raise _invalid("JUPYTERHUB_SPAWNER", value, "docker or kubernetes")


def _admin_user(env: _Environment) -> str:
    value = env.get("JUPYTERHUB_ADMIN", "admin")
    if _FORBIDDEN_NAME_CHARS.intersection(value):
        raise _invalid("JUPYTERHUB_ADMIN", value, "a user name without spaces, commas or slashes")
    return value


def _base_url(env: _Environment) -> str:
    value = env.get("JUPYTERHUB_BASE_URL", "/jupyterhub")
    if not value.startswith("/") or any(c.isspace() or c in "?#" for c in value):
        accepts = "a URL path starting with / (e.g. /jupyterhub)"
        raise _invalid("JUPYTERHUB_BASE_URL", value, accepts)
    # JupyterHub wants the trailing slash; people write the prefix without it.
    return value.rstrip("/") + "/"


def _word(env: _Environment, name: str, default: str) -> str:
    value = env.get(name, default)
    if any(c.isspace() for c in value):
        raise _invalid(name, value, "a single word without spaces")
    return value


def _flag(env: _Environment, name: str, *, default: bool) -> bool:
    value = env.get(name, "1" if default else "0")
    if value not in ("0", "1"):
        raise _invalid(name, value, "0 (off) or 1 (on)")
    return value == "1"


def _gpu_mode(env: _Environment) -> GpuMode:
    value = env.get("ENABLE_GPU_SUPPORT", "2")
    if value not in GPU_MODE_FLAGS:
        raise _invalid("ENABLE_GPU_SUPPORT", value, "0 (off), 1 (on) or 2 (auto)")
    return GPU_MODE_FLAGS[value]


def _log_level(env: _Environment) -> int:
    value = env.get("TF_CPP_MIN_LOG_LEVEL", "3")
    if value not in ("0", "1", "2", "3"):
        raise _invalid("TF_CPP_MIN_LOG_LEVEL", value, "0, 1, 2 or 3")
    return int(value)


def _positive_int(env: _Environment, name: str, default: int) -> int:
    value = env.get(name, str(default))
    if not value.isdigit() or int(value) == 0:
        raise _invalid(name, value, "a whole number of seconds above 0")
    return int(value)


def _count(env: _Environment, name: str, default: int) -> int:
    value = env.get(name, str(default))
    if not value.isdigit():
        raise _invalid(name, value, "a whole number, 0 for none")
    return int(value)


def _bytes(env: _Environment, name: str, default: str) -> int:
    value = env.get(name, default)
    number, unit = value[:-1], value[-1:].upper()
    if unit.isdigit():
        number, unit = value, ""
    if unit not in _BYTE_UNITS or not number.isdigit():
        raise _invalid(name, value, "a size such as 512M or 4G (K, M, G, T), 0 for no limit")
    return int(number) * _BYTE_UNITS[unit]


def _cpus(env: _Environment, name: str, default: str) -> float:
    value = env.get(name, default)
    try:
        cpus = float(value)
    except ValueError:
        cpus = -1.0
    if not cpus >= 0 or cpus == float("inf"):
        raise _invalid(name, value, "a number of CPUs such as 2 or 0.5, 0 for no limit")
    return cpus


def _lab_volumes(env: _Environment, name: str) -> tuple[LabVolume, ...]:
    """`source:target[:ro|rw]`, comma-separated: a Docker volume name or a host path, mounted
    at an absolute path that none of the lab's own volumes uses."""
    accepts = (
        "comma-separated source:target[:ro|rw] entries, e.g. datasets:/mnt/datasets:ro, "
        "with an absolute target outside /home/lab/workspace, /home/lab/.cache, /mnt/shared"
    )
    volumes = []
    for entry in filter(None, (item.strip() for item in env.get(name, "").split(","))):
        source, _, rest = entry.partition(":")
        target, _, mode = rest.partition(":")
        target = target.rstrip("/")
        if not source or not target.startswith("/") or mode not in ("", "ro", "rw"):
            raise _invalid(name, entry, accepts)
        if target in RESERVED_LAB_PATHS or any(
            target.startswith(path + "/") for path in RESERVED_LAB_PATHS[1:]
        ):
            raise _invalid(name, entry, accepts)
        volumes.append(LabVolume(source=source, target=target, read_only=mode == "ro"))
    return tuple(volumes)


def _culling(env: _Environment) -> CullingPolicy:
    """The Compose platform's IDLE_CULLER_* settings (Kubernetes: spec.culling)."""
    default = CullingPolicy()
    return CullingPolicy(
        enabled=_flag(env, "IDLE_CULLER_ENABLED", default=default.enabled),
        timeout=_positive_int(env, "IDLE_CULLER_TIMEOUT", default.timeout),
        every=_positive_int(env, "IDLE_CULLER_CULL_EVERY", default.every),
        max_age=_count(env, "IDLE_CULLER_MAX_AGE", default.max_age),
        users=_flag(env, "IDLE_CULLER_CULL_USERS", default=default.users),
    )


def _absolute_path(env: _Environment, name: str, default: str) -> Path:
    value = env.get(name, default)
    if not value.startswith("/"):
        raise _invalid(name, value, "an absolute path")
    return Path(value)


def _url(env: _Environment, name: str, *, default: str, required: bool) -> str:
    value = env.get(name, default)
    if not value:
        if required:
            raise _invalid(name, value, "an http(s) URL; the operator sets it in Kubernetes mode")
        return value
    if not value.startswith(_URL_SCHEMES) or any(c.isspace() for c in value):
        raise _invalid(name, value, "an http:// or https:// URL")
    return value.rstrip("/")


def _namespace(env: _Environment, *, required: bool) -> str:
    value = env.get("POD_NAMESPACE", "")
    if required and not value:
        raise _invalid("POD_NAMESPACE", value, "the hub's namespace (the operator sets it)")
    return value
