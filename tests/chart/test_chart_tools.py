"""The pinned helm is built like the released one: it names its version and knows its Kubernetes.

tests/cluster/build-binaries.sh sets the version flags of helm's own Makefile. Without them
`helm version` says v3.18 and `helm template` assumes Kubernetes 1.20, below the chart's
kubeVersion, so rendering without `--kube-version` fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.fixtures.binaries import pinned_versions
from tests.fixtures.paths import CHART


def _run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=120, check=False
    )


def test_helm_names_the_pinned_release(helm: Path, helm4: Path) -> None:
    versions = pinned_versions()
    assert _run(helm, "version", "--short").stdout.strip() == versions["HELM_VERSION"]
    assert _run(helm4, "version", "--short").stdout.strip() == versions["HELM4_VERSION"]


def test_helm_renders_the_chart_without_being_told_the_kubernetes_version(
    helm: Path, helm4: Path
) -> None:
    for binary in (helm, helm4):
        result = _run(binary, "template", "stellars", CHART, "--set", "hub.create=true")
        assert result.returncode == 0, f"{binary.name}: {result.stderr}"
        assert "kind: StellarsHub" in result.stdout
