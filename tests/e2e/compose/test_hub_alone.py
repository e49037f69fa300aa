"""The hub container on its own, on the main engine: a bad setting stops it with its message, and
GPU auto-detection (mode 2) says "no GPU" with the reason when the probe image is absent or the
engine cannot hand out GPUs, leaving no probe container behind. What the probe does with a
failing, hanging or answering nvidia-smi is tested on a GPU-accepting engine
(test_gpu_engine.py)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.compose.lone_hub import DRIVER_MESSAGE, LoneHubs, probe_settings
from tests.fixtures.docker import INSECURE_OK, docker
from tests.fixtures.images import base_image

pytestmark = [pytest.mark.docker, INSECURE_OK]


@pytest.fixture(scope="module")
def hubs(platform_images: None) -> Iterator[LoneHubs]:
    made = LoneHubs(["docker"], socket=Path("/var/run/docker.sock"))
    try:
        yield made
    finally:
        made.close()


def engine_hands_out_gpus() -> bool:
    """dockerd registers its NVIDIA driver when the container toolkit is installed: its hook on
    the PATH, or the nvidia runtime configured."""
    runtimes = docker("info", "--format", "{{json .Runtimes}}").stdout
    return "nvidia" in runtimes or shutil.which("nvidia-container-runtime-hook") is not None


def test_invalid_gpu_setting_stops_the_hub_with_its_message(hubs: LoneHubs) -> None:
    hub = hubs.run(ENABLE_GPU_SUPPORT="yes")

    exit_code = hubs.docker("wait", hub, timeout=120).stdout.strip()

    assert exit_code != "0"
    output = hubs.logs(hub)
    assert "ENABLE_GPU_SUPPORT='yes' is not valid" in output, output[-2000:]
    assert "Application startup" not in output  # JupyterHub never began to serve


def test_gpu_probe_with_the_image_absent_says_no_gpu(hubs: LoneHubs) -> None:
    image = f"stellars/e2e-no-such-probe:{secrets.token_hex(4)}"
    hub = hubs.run(**probe_settings(image))

    line = hubs.wait_for_line(hub, "GPU for labs:")

    assert "GPU for labs: off" in line
    assert f"probe image {image} is absent" in line
    assert hubs.probe_containers(image) == []


def test_gpu_probe_on_this_engine_says_why_there_is_no_gpu(hubs: LoneHubs) -> None:
    image = hubs.probe_image(f'echo "{DRIVER_MESSAGE}"; exit 9', base=base_image())
    hub = hubs.run(**probe_settings(image))

    line = hubs.wait_for_line(hub, "GPU for labs:")

    assert "GPU for labs: off" in line
    if engine_hands_out_gpus():
        assert "exit 9" in line, line
    else:
        # This machine: no toolkit, the engine refuses the GPU request before nvidia-smi runs.
        assert "Docker cannot hand out GPUs" in line, line
    assert hubs.probe_containers(image) == []
