"""What every lab gets whichever spawner starts it: where its volumes go and its environment."""

from __future__ import annotations

from typing import Final

from stellars_hub.contract import GpuPlacement
from stellars_hub.settings import HubSettings

HOME_DIR: Final = "/home"
WORKSPACE_DIR: Final = "/home/lab/workspace"
CACHE_DIR: Final = "/home/lab/.cache"
SHARED_DIR: Final = "/mnt/shared"
SHM_DIR: Final = "/dev/shm"

# The lab image's user and group (stellars-jupyterlab-ds and the test image alike).
LAB_UID: Final = 1000
LAB_GID: Final = 100

# The per-user volumes, by the suffix both spawners use in the volume's name.
USER_VOLUMES: Final = (("home", HOME_DIR), ("workspace", WORKSPACE_DIR), ("cache", CACHE_DIR))


def _bit(value: bool) -> str:
    return "1" if value else "0"


def service_environment(settings: HubSettings) -> dict[str, str]:
    """The lab image's service toggles and TensorFlow's log level, as the seed passed them."""
    return {
        "ENABLE_SERVICE_MLFLOW": _bit(settings.services.mlflow),
        "ENABLE_SERVICE_GLANCES": _bit(settings.services.glances),
        "ENABLE_SERVICE_TENSORBOARD": _bit(settings.services.tensorboard),
        "TF_CPP_MIN_LOG_LEVEL": str(settings.tf_cpp_min_log_level),
    }


def gpu_environment(placement: GpuPlacement) -> dict[str, str]:
    """GPU flags for the lab's start scripts.

    NVIDIA_DETECTED is 1 only when something looked for GPUs and found them (the seed's
    meaning: mode 1 turns GPUs on without looking). Without a GPU, NVIDIA_VISIBLE_DEVICES=void
    keeps the NVIDIA container runtime from handing a lab every GPU of the host anyway.
    """
    env = {
        "ENABLE_GPU_SUPPORT": _bit(placement.enabled),
        "NVIDIA_DETECTED": _bit(placement.detected),
    }
    if not placement.enabled:
        env["NVIDIA_VISIBLE_DEVICES"] = "void"
    return env
