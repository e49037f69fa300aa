"""`helm lint --strict` passes with Helm v3 (the reference) and v4, and v4 renders the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.chart_render import lint, template
from tests.chart.chart_values import VALUE_SETS


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_helm3_lint_strict_passes(helm: Path, value_set: str) -> None:
    result = lint(helm, VALUE_SETS[value_set])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_helm4_lints_and_renders_like_helm3(helm: Path, helm4: Path, value_set: str) -> None:
    result = lint(helm4, VALUE_SETS[value_set])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout
    rendered3 = template(helm, VALUE_SETS[value_set])
    rendered4 = template(helm4, VALUE_SETS[value_set])
    assert rendered4.returncode == 0, rendered4.stderr
    assert rendered4.manifests == rendered3.manifests


def test_helm4_rejects_bad_values_too(helm4: Path) -> None:
    result = template(helm4, {"hub": {"name": "My_Hub"}})
    assert result.returncode != 0
    assert "/hub/name" in result.stderr
