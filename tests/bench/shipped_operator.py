"""The operator as it ships: its image (its Python, only the operator's packages, its
environment), run the way the chart runs it, for the figures that depend on what is loaded.

The test venv is not the operator's: it also holds the hub's packages, among them
kubernetes_asyncio (KubeSpawner's), and kopf imports that whenever it is installed (to know its
model classes): about 32 MB of resident memory the shipped operator never has. So the scale
case measures the image. The container shares the host's network (the private control plane
listens on loopback) and its process is a host process, so /proc gives its memory and CPU.
"""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path
from typing import Final

from tests.fixtures.chart_objects import HUB_CLUSTER_ROLE
from tests.fixtures.docker import OPERATOR_IMAGE, docker
from tests.fixtures.operator_process import wait_until_live
from tests.fixtures.ports import free_port

# The kubeconfig carries its CA inline (scale.operator_identity): one file to mount.
KUBECONFIG_IN_CONTAINER: Final = "/etc/stellars/kubeconfig"


class ShippedOperator:
    """Start and stop the operator image against one namespace; its log goes to `log_path`."""

    def __init__(
        self,
        *,
        kube_config: Path,
        namespace: str,
        log_path: Path,
        resync_seconds: int | None,
    ) -> None:
        self.kube_config = kube_config
        self.namespace = namespace
        self.log_path = log_path
        self.resync_seconds = resync_seconds
        self.name = f"stellars-bench-operator-{secrets.token_hex(3)}"
        self.port = free_port()
        self.pid = 0  # the operator's process on the host, once started

    def start(self, timeout: float = 60) -> None:
        env = ["-e", f"KUBECONFIG={KUBECONFIG_IN_CONTAINER}"]
        env += ["-e", f"STELLARS_HUB_CLUSTER_ROLE={HUB_CLUSTER_ROLE}"]
        if self.resync_seconds is not None:
            env += ["-e", f"STELLARS_RESYNC_SECONDS={self.resync_seconds}"]
        docker(
            "run",
            "-d",
            "--name",
            self.name,
            "--network",
            "host",
            "-v",
            f"{self.kube_config}:{KUBECONFIG_IN_CONTAINER}:ro",
            *env,
            OPERATOR_IMAGE,
            "--namespace",
            self.namespace,
            "--liveness",
            f"http://127.0.0.1:{self.port}/healthz",
        )
        self.pid = int(docker("inspect", "-f", "{{.State.Pid}}", self.name).stdout.strip())
        wait_until_live(
            f"http://127.0.0.1:{self.port}/healthz",
            timeout=timeout,
            exited=self._exited,
            log_tail=self.log_tail,
        )

    def _exited(self) -> str | None:
        running = docker("inspect", "-f", "{{.State.Running}}", self.name).stdout.strip()
        return None if running == "true" else "container exited"

    def stop(self) -> None:
        """Stop it (SIGTERM, as Kubernetes would), keep its log, remove the container."""
        docker("stop", "--time", "20", self.name, check=False)
        logs = subprocess.run(
            ["docker", "logs", self.name], capture_output=True, check=False, timeout=60
        )
        self.log_path.write_bytes(logs.stdout + logs.stderr)
        docker("rm", "-f", self.name, check=False)

    def log_tail(self, lines: int = 60) -> str:
        logs = docker("logs", "--tail", str(lines), self.name, check=False)
        return logs.stdout + logs.stderr
