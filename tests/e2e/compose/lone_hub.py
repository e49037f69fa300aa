"""The hub image started on its own on one Docker engine (that engine's socket mounted, nothing
else of the stack), and probe images whose `nvidia-smi` is a shell script, built on that engine
from the local base image. Used with the main engine and with the GPU-accepting test engine."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.docker import HUB_IMAGE

PROBE_LABEL = "stellars.io/probe=gpu"
PROBE_TIMEOUT_S = 8
# nvidia-smi's words on a host whose driver is not loaded (it exits 9).
DRIVER_MESSAGE = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
    "Make sure that the latest NVIDIA driver is installed and running."
)


def probe_settings(image: str) -> dict[str, str]:
    """Hub settings for GPU auto-detection (mode 2) with `image` as the probe."""
    return {
        "ENABLE_GPU_SUPPORT": "2",
        "NVIDIA_AUTODETECT_IMAGE": image,
        "NVIDIA_AUTODETECT_TIMEOUT": str(PROBE_TIMEOUT_S),
    }


class LoneHubs:
    """Hub containers, probe images and volumes made on one engine; `close` removes them all."""

    def __init__(self, cli: list[str], *, socket: Path) -> None:
        self.cli = cli
        self.socket = socket
        self._containers: list[str] = []
        self._images: list[str] = []
        self._volumes: list[str] = []
        self._networks: list[str] = []

    def docker(
        self, *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.cli, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"{' '.join(self.cli)} {' '.join(args)} failed: {result.stderr[-3000:]}")
        return result

    def run(self, *, data_volume: str | None = None, **env: str) -> str:
        """Start the hub (Docker spawner) with these settings; its name."""
        name = f"stellars-e2e-hub-{secrets.token_hex(3)}"
        args = ["run", "-d", "--name", name, "--group-add", str(os.stat(self.socket).st_gid)]
        args += ["-v", f"{self.socket}:/var/run/docker.sock"]
        if data_volume:
            args += ["-v", f"{data_volume}:/data"]
        for key, value in {"JUPYTERHUB_SPAWNER": "docker", **env}.items():
            args += ["-e", f"{key}={value}"]
        self._containers.append(name)  # before the run: a failed start may leave it created
        self.docker(*args, HUB_IMAGE)
        return name

    def volume(self) -> str:
        name = f"stellars-e2e-data-{secrets.token_hex(3)}"
        self.docker("volume", "create", name)
        self._volumes.append(name)
        return name

    def network(self) -> str:
        name = f"stellars-e2e-net-{secrets.token_hex(3)}"
        self.docker("network", "create", name)
        self._networks.append(name)
        return name

    def address(self, container: str) -> str:
        """The container's address on its first network (reachable from this host)."""
        template = "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"
        return self.docker("inspect", "-f", template, container).stdout.split()[0]

    def stop(self, container: str) -> None:
        self.docker("rm", "-f", container)

    def logs(self, container: str) -> str:
        result = self.docker("logs", container, check=False)
        return result.stdout + result.stderr

    def wait_for_line(self, container: str, marker: str, timeout_s: float = 120) -> str:
        """The first log line holding `marker`; fails with the log when it never comes."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for line in self.logs(container).splitlines():
                if marker in line:
                    return line
            time.sleep(1)
        log = self.logs(container)[-4000:]
        pytest.fail(f"no {marker!r} in the hub's log within {timeout_s}s:\n{log}")

    def probe_image(self, script: str, *, base: str, command: str | None = None) -> str:
        """Build a tiny probe image whose `nvidia-smi` is the given shell script body;
        `command`: also the image's command (a stand-in lab that runs the script)."""
        tag = f"stellars/e2e-gpu-probe:{secrets.token_hex(4)}"
        # base64: the script reaches the image byte for byte, quotes and newlines included.
        encoded = base64.b64encode(f"#!/bin/sh\n{script}\n".encode()).decode()
        dockerfile = (
            f"FROM {base}\n"
            f"RUN echo {encoded} | base64 -d > /usr/local/bin/nvidia-smi"
            " && chmod 755 /usr/local/bin/nvidia-smi\n"
        )
        if command:
            dockerfile += f'CMD ["{command}"]\n'

        self._images.append(tag)
        self.docker("build", "-q", "--force-rm", "-t", tag, "-", stdin=dockerfile, timeout=300)
        return tag

    def probe_containers(self, image: str) -> list[str]:
        """Probe containers from `image` still on the engine (the probe must remove its own)."""
        listed = self.docker(
            "ps", "-a", "--filter", f"label={PROBE_LABEL}", "--format", "{{.ID}} {{.Image}}"
        ).stdout.splitlines()
        return [line for line in listed if line.split()[1:] == [image]]

    def close(self) -> None:
        if self._containers:
            self.docker("rm", "-f", *self._containers, check=False)
        if self._volumes:
            self.docker("volume", "rm", "-f", *self._volumes, check=False)
        if self._networks:
            self.docker("network", "rm", *self._networks, check=False)
        if self._images:
            self.docker("rmi", "-f", *self._images, check=False)
