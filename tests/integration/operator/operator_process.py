"""The operator as a person runs it: `python -m stellars_operator --namespace NS`, a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class OperatorProcess:
    """Start, restart and stop the operator; its log is kept for failure messages."""

    def __init__(self, *, kube_config: str, namespace: str, log_path: Path) -> None:
        self.kube_config = kube_config
        self.namespace = namespace
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.port = _free_port()

    @property
    def liveness_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "KUBECONFIG": self.kube_config, "STELLARS_RESYNC_SECONDS": "5"}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stellars_operator",
                "--namespace",
                self.namespace,
                "--liveness",
                self.liveness_url,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"operator exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.liveness_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"operator not live after {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])
