"""The hub container on its own, on the real engine: a bad setting stops it with its message, and
GPU auto-detection (mode 2) says "no GPU" with the reason when the probe image is absent, fails
or hangs, leaving no probe container behind. Probe images are built here from the local base."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from tests.fixtures.docker import HUB_IMAGE, INSECURE_OK, ROOT, docker, docker_gid

pytestmark = [pytest.mark.docker, INSECURE_OK]

PROBE_TIMEOUT_S = 8
DRIVER_MESSAGE = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
    "Make sure that the latest NVIDIA driver is installed and running."
)
HubRunner = Callable[..., str]


@pytest.fixture(scope="module")
def run_hub(platform_images: None) -> Iterator[HubRunner]:
    """Start the hub image alone (Docker socket, no volumes) with these settings; removed after."""
    started: list[str] = []

    def run(**env: str) -> str:
        name = f"stellars-e2e-hub-{secrets.token_hex(3)}"
        args = ["run", "-d", "--name", name, "--group-add", docker_gid()]
        args += ["-v", "/var/run/docker.sock:/var/run/docker.sock"]
        for key, value in {"JUPYTERHUB_SPAWNER": "docker", **env}.items():
            args += ["-e", f"{key}={value}"]
        docker(*args, HUB_IMAGE)
        started.append(name)
        return name

    yield run
    if started:
        docker("rm", "-f", *started, check=False)


@pytest.fixture(scope="module")
def probe_image(platform_images: None) -> Iterator[Callable[[str], str]]:
    """Build a tiny probe image whose `nvidia-smi` is the given shell script body."""
    base = subprocess.run(
        [str(ROOT / "scripts" / "base-image.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    built: list[str] = []

    def build(script: str) -> str:
        tag = f"stellars/e2e-gpu-probe:{secrets.token_hex(4)}"
        dockerfile = (
            f"FROM {base}\n"
            f"RUN printf '%s\\n' '#!/bin/sh' {json.dumps(script)} > /usr/local/bin/nvidia-smi"
            " && chmod 755 /usr/local/bin/nvidia-smi\n"
        )
        result = subprocess.run(
            ["docker", "build", "-q", "-t", tag, "-"],
            input=dockerfile,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        built.append(tag)
        return tag

    yield build
    if built:
        docker("rmi", "-f", *built, check=False)


def logs(container: str) -> str:
    result = docker("logs", container, check=False)
    return result.stdout + result.stderr


def wait_for_line(container: str, marker: str, timeout_s: float = 120) -> str:
    """The first log line holding `marker`; fails with the log when it never comes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in logs(container).splitlines():
            if marker in line:
                return line
        time.sleep(1)
    pytest.fail(f"no {marker!r} in the hub's log within {timeout_s}s:\n{logs(container)[-4000:]}")


def engine_hands_out_gpus() -> bool:
    runtimes = docker("info", "--format", "{{json .Runtimes}}").stdout
    return "nvidia" in runtimes


def probe_containers(image: str) -> list[str]:
    listed = docker(
        "ps", "-a", "--filter", "label=stellars.io/probe=gpu", "--format", "{{.ID}} {{.Image}}"
    ).stdout.splitlines()
    return [line for line in listed if line.split()[1:] == [image]]


def test_invalid_gpu_setting_stops_the_hub_with_its_message(run_hub: HubRunner) -> None:
    hub = run_hub(ENABLE_GPU_SUPPORT="yes")

    exit_code = docker("wait", hub, timeout=120).stdout.strip()

    assert exit_code != "0"
    output = logs(hub)
    assert "ENABLE_GPU_SUPPORT='yes' is not valid" in output, output[-2000:]
    assert "Application startup" not in output  # JupyterHub never began to serve


def test_gpu_probe_with_the_image_absent_says_no_gpu(run_hub: HubRunner) -> None:
    image = f"stellars/e2e-no-such-probe:{secrets.token_hex(4)}"
    hub = run_hub(
        ENABLE_GPU_SUPPORT="2",
        NVIDIA_AUTODETECT_IMAGE=image,
        NVIDIA_AUTODETECT_TIMEOUT=str(PROBE_TIMEOUT_S),
    )

    line = wait_for_line(hub, "GPU for labs:")

    assert "GPU for labs: off" in line
    assert f"probe image {image} is absent" in line
    assert probe_containers(image) == []


def test_gpu_probe_that_fails_says_no_gpu_with_the_reason(
    run_hub: HubRunner, probe_image: Callable[[str], str]
) -> None:
    image = probe_image(f'echo "{DRIVER_MESSAGE}"; exit 9')
    hub = run_hub(
        ENABLE_GPU_SUPPORT="2",
        NVIDIA_AUTODETECT_IMAGE=image,
        NVIDIA_AUTODETECT_TIMEOUT=str(PROBE_TIMEOUT_S),
    )

    line = wait_for_line(hub, "GPU for labs:")

    assert "GPU for labs: off" in line
    if engine_hands_out_gpus():
        assert "exit 9" in line, line
    else:
        # The engine refuses the GPU request before nvidia-smi can even run.
        assert "Docker cannot hand out GPUs" in line, line
    assert probe_containers(image) == []


def test_gpu_probe_that_hangs_is_stopped_at_the_timeout(
    run_hub: HubRunner, probe_image: Callable[[str], str]
) -> None:
    image = probe_image("exec sleep 3600")
    hub = run_hub(
        ENABLE_GPU_SUPPORT="2",
        NVIDIA_AUTODETECT_IMAGE=image,
        NVIDIA_AUTODETECT_TIMEOUT=str(PROBE_TIMEOUT_S),
    )

    started = time.monotonic()
    line = wait_for_line(hub, "GPU for labs:")

    assert "GPU for labs: off" in line
    if engine_hands_out_gpus():
        assert f"timed out after {PROBE_TIMEOUT_S}s" in line, line
    else:
        assert "Docker cannot hand out GPUs" in line, line
    assert time.monotonic() - started < PROBE_TIMEOUT_S + 90
    assert probe_containers(image) == []
