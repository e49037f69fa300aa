"""The chart's copies of the project's facts agree with their sources in scripts/.

Helm reads the chart's version and appVersion from Chart.yaml as literals, so they are copies of
the project's version (pyproject.toml, read by scripts/project-version.sh); the operator image's
repository in values.yaml is a copy of scripts/project-images.sh's. These tests keep them equal.
"""

from __future__ import annotations

import subprocess

import yaml

from tests.fixtures.paths import CHART, REPO


def _script(name: str, *args: str) -> list[str]:
    result = subprocess.run(
        [str(REPO / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.split()


def test_chart_and_app_version_are_the_project_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    (version,) = _script("project-version.sh")
    assert chart["appVersion"] == version
    assert chart["version"] == version


def test_the_operator_image_is_the_one_the_project_builds() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    (image,) = _script("project-images.sh", "operator")
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert image == f"{values['operator']['image']['repository']}:{chart['appVersion']}"
