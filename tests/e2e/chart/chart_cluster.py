"""kubectl and helm against the test cluster, as a person would type them, plus port-forwards."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.unit.chart.chart_binaries import CHART, cluster_binary

_FORWARDING = re.compile(r"Forwarding from 127\.0\.0\.1:(\d+)")


@dataclass(frozen=True)
class Cluster:
    """One kubeconfig; every command names it explicitly (no ambient context)."""

    kubeconfig: Path

    def _run(
        self, binary: str, args: tuple[str, ...], *, check: bool, timeout: float, stdin: str | None
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        result = subprocess.run(
            [str(cluster_binary(binary)), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{binary} {' '.join(args)} failed (rc {result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def kubectl(
        self, *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self._run("kubectl", args, check=check, timeout=timeout, stdin=stdin)

    def helm(
        self, *args: str, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return self._run("helm", args, check=check, timeout=timeout, stdin=None)

    def get(self, kind: str, name: str, *, namespace: str | None = None) -> dict[str, Any] | None:
        """The object as JSON, or None when it does not exist."""
        scope = ("-n", namespace) if namespace else ()
        result = self.kubectl(
            *scope, "get", kind, name, "-o", "json", "--ignore-not-found", check=True
        )
        return json.loads(result.stdout) if result.stdout.strip() else None

    def install(
        self, release: str, namespace: str, *set_values: str, chart: Path = CHART, wait: bool
    ) -> str:
        """`helm upgrade --install`; returns Helm's output (with NOTES)."""
        args = ["upgrade", "--install", release, str(chart), "--namespace", namespace]
        for value in set_values:
            args += ["--set", value]
        if wait:
            args += ["--wait", "--timeout", "10m"]
        return self.helm(*args).stdout

    @contextmanager
    def port_forward(self, namespace: str, target: str, port: int) -> Iterator[str]:
        """`kubectl port-forward TARGET :PORT`; yields http://127.0.0.1:<local port>."""
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        command = [str(cluster_binary("kubectl")), "-n", namespace, "port-forward"]
        command += ["--address", "127.0.0.1", target, f":{port}"]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            found = _FORWARDING.search(first)
            assert found, f"port-forward to {namespace}/{target} failed: {first}"
            yield f"http://127.0.0.1:{found.group(1)}"
        finally:
            process.terminate()
            process.wait(timeout=10)


def eventually(check: Callable[[], Any], *, timeout: float, what: str, every: float = 2) -> Any:
    """Polls `check` until it returns something truthy; fails naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except AssertionError as error:
            last = error
        else:
            if last:
                return last
        time.sleep(every)
    raise AssertionError(f"{what}: not true after {timeout:.0f}s (last: {last!r})")
