"""Every benchmark family, each writing its JSON (tests/bench/profile.py: `smoke` by default,
as `make test` runs it; `make bench` runs the `full` profile).

Nothing here compares a time with a goal: a test checks only that its family produced every
figure as a number, so the harness cannot rot unnoticed. docs/benchmarks.md holds the goals.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stellars_operator.kube import Kube
from tests.bench import control_plane, hub_lifecycle, profile, report, scale, spawning
from tests.bench.conftest import BENCH_HUB
from tests.bench.pure import measure_pure
from tests.bench.spawning import Platform
from tests.fixtures.cluster import Cluster
from tests.fixtures.docker import INSECURE_OK

pytestmark = [pytest.mark.kubelet, pytest.mark.docker, INSECURE_OK]

Record = Callable[[str, dict[str, Any]], Path]


def _number(figures: dict[str, Any], dotted: str) -> float:
    value: Any = figures
    for key in dotted.split("."):
        assert isinstance(value, dict) and key in value, f"{dotted} missing in {figures}"
        value = value[key]
    assert isinstance(value, int | float) and not isinstance(value, bool), (dotted, value)
    return float(value)


def test_pure_hot_paths(record: Record, counts: profile.Counts) -> None:
    scale_ = 1.0 if counts.name == "full" else 0.1
    figures = measure_pure(scale=scale_, repeats=5 if counts.name == "full" else 2)
    for case in figures.values():
        assert _number(case, "median_us") > 0
    record("pure", figures)


def test_hub_apply_to_ready(apply_to_ready: dict[str, Any], record: Record) -> None:
    for key in (
        "ratio",
        "measured.median",
        "baseline.median",
        "ready_after_deployments_available.median",
    ):
        _number(apply_to_ready, key)
    record("apply_to_ready", apply_to_ready)


def test_spec_change(
    apply_to_ready: dict[str, Any],
    kube: Kube,
    watched_namespace: str,
    record: Record,
    counts: profile.Counts,
) -> None:
    figures = hub_lifecycle.measure_spec_change(
        kube, namespace=watched_namespace, hub=BENCH_HUB, patches=counts.patches
    )
    assert _number(figures, "n") == counts.patches
    _number(figures, "median"), _number(figures, "p99")
    record("spec_change", figures)


def test_drift_repair(
    apply_to_ready: dict[str, Any],
    kube: Kube,
    watched_namespace: str,
    record: Record,
    counts: profile.Counts,
) -> None:
    figures = hub_lifecycle.measure_drift_repair(
        kube, namespace=watched_namespace, hub=BENCH_HUB, edits=counts.drift_edits
    )
    assert _number(figures, "n") == counts.drift_edits
    _number(figures, "median")
    record("drift_repair", figures)


@pytest.mark.parametrize("path", ["kubernetes", "docker"])
def test_spawn_to_ready(
    path: str, request: pytest.FixtureRequest, record: Record, counts: profile.Counts
) -> None:
    platform: Platform = request.getfixturevalue(f"{path}_platform")
    figures = spawning.measure_spawn(platform, repetitions=counts.spawn_repetitions)
    for key in ("ratio", "measured.median", "baseline.median"):
        _number(figures, key)
    record(f"spawn_{path}", figures)


@pytest.mark.parametrize("path", ["kubernetes", "docker"])
def test_concurrent_users(
    path: str, request: pytest.FixtureRequest, record: Record, counts: profile.Counts
) -> None:
    platform: Platform = request.getfixturevalue(f"{path}_platform")
    figures = spawning.measure_concurrency(platform, users=counts.users)
    assert figures["succeeded"] == counts.users
    for key in ("spawn.median", "spawn.p95", "login_under_load.p95"):
        _number(figures, key)
    record(f"concurrency_{path}", figures)


def test_scale(
    kube_cluster: Cluster,
    record: Record,
    counts: profile.Counts,
    tmp_path: Path,
    bench_out: Path,
) -> None:
    """On a control plane of its own, from the sealed cluster's binaries and certificates."""
    missing = control_plane.available()
    assert missing is None, f"no private control plane: {missing}"
    figures = scale.measure_scale(
        hubs=counts.hubs,
        idle_window_s=counts.idle_window_s,
        resync_s=counts.scale_resync_s,
        workdir=tmp_path,
        log_path=bench_out / "scale-operator.log",
    )
    for key in (
        "reconciled_s",
        "rss_mb",
        "idle_cpu_percent",
        "idle_requests_per_minute",
        "idle_writes_per_minute",
    ):
        _number(figures, key)
    # The audit log must see the operator, or an idle count of 0 would mean nothing.
    assert _number(figures, "reconcile_writes") > 0, figures
    record("scale", figures)


def test_report_is_written(bench_out: Path, tmp_path: Path) -> None:
    """Last: the table and plot come out of whatever this session measured."""
    markdown, plot = report.write(bench_out, docs=tmp_path)
    text = markdown.read_text()
    assert "| Figure | Goal |" in text, text
    assert plot.stat().st_size > 0
