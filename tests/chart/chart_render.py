"""Runs `helm template` / `helm lint` on the chart with a values dict and parses the output."""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures.binaries import pinned_versions
from tests.fixtures.paths import CHART

RELEASE = "stellars"
NAMESPACE = "stellars-system"


@dataclass(frozen=True)
class Rendered:
    """What `helm template` printed, and the manifests it holds."""

    returncode: int
    text: str
    stderr: str

    @property
    def manifests(self) -> list[dict[str, Any]]:
        return [doc for doc in yaml.safe_load_all(self.text) if doc]

    def one(self, kind: str, name: str | None = None) -> dict[str, Any]:
        found = [
            m
            for m in self.manifests
            if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)
        ]
        assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
        return found[0]

    def kinds(self) -> list[str]:
        return sorted(m["kind"] for m in self.manifests)


def _kube_version() -> list[str]:
    # Render for the exact version the tests' cluster runs, not the one helm assumes by itself
    # (the minor its client-go speaks: test_chart_tools.py checks that default separately).
    return ["--kube-version", pinned_versions()["KUBE_VERSION"]]


def _run(command: list[str], values: dict[str, Any] | None) -> subprocess.CompletedProcess[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8") as handle:
        yaml.safe_dump(values or {}, handle)
        handle.flush()
        return subprocess.run(
            [*command, "--values", handle.name],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def template(
    helm: Path,
    values: dict[str, Any] | None = None,
    *,
    namespace: str = NAMESPACE,
    include_crds: bool = True,
    chart: Path = CHART,
) -> Rendered:
    command = [
        str(helm),
        "template",
        RELEASE,
        str(chart),
        "--namespace",
        namespace,
        *_kube_version(),
    ]
    if include_crds:
        command.append("--include-crds")
    result = _run(command, values)
    return Rendered(result.returncode, result.stdout, result.stderr)


def lint(helm: Path, values: dict[str, Any] | None = None) -> subprocess.CompletedProcess[str]:
    return _run([str(helm), "lint", "--strict", str(CHART), *_kube_version()], values)
