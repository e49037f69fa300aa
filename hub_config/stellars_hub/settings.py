"""The hub's settings: environment variables -> one frozen `HubSettings` (docs/hub-settings.md).

Every value is checked here, once, so that a bad one stops the hub at start-up with a single
line naming the variable, the value and what it accepts, instead of failing later mid-spawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from stellars_hub.contract import DEFAULT_NOTEBOOK_IMAGE, GpuMode

SpawnerKind = Literal["docker", "kubernetes"]

DEFAULT_NETWORK_NAME: Final = "jupyterhub_network"
DEFAULT_AUTODETECT_IMAGE: Final = "nvidia/cuda:12.9.1-base-ubuntu24.04"
DEFAULT_HUB_SETTINGS_PATH: Final = "/etc/stellars/settings.json"
DEFAULT_GPU_SETTINGS_PATH: Final = "/etc/stellars/gpu/gpu.json"
# The Compose service of the hub is called `jupyterhub` (the seed's name); labs on the Docker
# network reach the hub API through it.
DEFAULT_DOCKER_HUB_CONNECT_URL: Final = "http://jupyterhub:8081"
DEFAULT_AUTODETECT_TIMEOUT_S: Final = 60

# nativeauthenticator refuses these in user names; an admin name with one could never log in.
_FORBIDDEN_NAME_CHARS: Final = frozenset(", /")
_URL_SCHEMES: Final = ("http://", "https://")
# ENABLE_GPU_SUPPORT: the seed's numbers for the three GPU modes.
GPU_MODE_FLAGS: Final = {"0": GpuMode.OFF, "1": GpuMode.ON, "2": GpuMode.AUTO}


class SettingsError(ValueError):
    """A setting has a value the hub cannot use; the message is one line for the operator."""


@dataclass(frozen=True)
class LabServices:
    """Which optional services the lab image starts (passed to labs as ENABLE_SERVICE_*)."""

    mlflow: bool = True
    glances: bool = True
    tensorboard: bool = True


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
    # Kubernetes mode only (set by the operator).
    hub_settings_path: Path = Path(DEFAULT_HUB_SETTINGS_PATH)
    gpu_settings_path: Path = Path(DEFAULT_GPU_SETTINGS_PATH)
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
        hub_settings_path=_absolute_path(env, "STELLARS_HUB_SETTINGS", DEFAULT_HUB_SETTINGS_PATH),
        gpu_settings_path=_absolute_path(env, "STELLARS_GPU_SETTINGS", DEFAULT_GPU_SETTINGS_PATH),
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
