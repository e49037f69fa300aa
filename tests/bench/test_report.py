"""The harness's own arithmetic and the generated note, on made-up results (no cluster)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bench import report
from tests.bench.stats import paired_ratio, percentile, summary


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 0.5) == 50.0
    assert percentile(samples, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert summary([2.0, 1.0, 3.0])["median"] == 2.0


def test_paired_ratio_is_the_median_of_the_pairs() -> None:
    figures = paired_ratio([2.0, 3.0, 10.0], [1.0, 2.0, 4.0])
    assert figures["ratio"] == 2.0
    assert (figures["ratio_min"], figures["ratio_max"]) == (1.5, 2.5)
    assert figures["baseline"]["median"] == 2.0


def _write(out: Path, family: str, figures: dict[str, object]) -> None:
    document = {"family": family, "profile": "smoke", "time": "2026-01-01T00:00:00Z"}
    (out / f"{family}.json").write_text(json.dumps({**document, "figures": figures}))


def test_the_note_marks_goals_met_or_not_and_keeps_the_written_analysis(tmp_path: Path) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    results.mkdir()
    docs.mkdir()
    _write(results, "spec_change", summary([0.2, 0.3, 3.0]))
    _write(results, "drift_repair", summary([2.5, 3.0]))
    (docs / report.MARKDOWN).write_text(f"old table\n{report.ANALYSIS_MARKER}\nWhy: kept.\n")

    markdown, plot = report.write(results, docs=docs)

    rows = {line.split(" | ")[0].lstrip("| "): line for line in markdown.read_text().splitlines()}
    assert rows["Spec change -> children updated, p50"].endswith("| met |")
    assert rows["Spec change -> children updated, p99"].endswith("| **not met** |")
    assert rows["Drift repair (child deleted or edited by hand), p50"].endswith("| **not met** |")
    assert "not measured" in rows["Scale: operator RSS"]
    text = markdown.read_text()
    assert "old table" not in text
    assert text.endswith(f"{report.ANALYSIS_MARKER}\n\nWhy: kept.\n")
    assert plot.read_bytes()[:4] == b"\x89PNG"
