"""The chart's CRD is a byte-identical copy of crds/stellarshub.yaml (`make chart-sync`)."""

from __future__ import annotations

import subprocess

from tests.fixtures.paths import CHART, REPO


def test_chart_crd_is_identical_to_the_repository_crd() -> None:
    source = REPO / "crds" / "stellarshub.yaml"
    copy = CHART / "crds" / "stellarshub.yaml"
    assert source.is_file(), f"{source} is missing"
    assert copy.is_file(), f"{copy} is missing: run `make chart-sync`"
    assert copy.read_bytes() == source.read_bytes(), f"{copy} is stale: run `make chart-sync`"


def test_chart_carries_no_other_crd() -> None:
    assert sorted(p.name for p in (CHART / "crds").iterdir()) == ["stellarshub.yaml"]


def test_sync_script_check_mode_agrees() -> None:
    result = subprocess.run(
        [str(REPO / "charts" / "sync-crd.sh"), "--check"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
