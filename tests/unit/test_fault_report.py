"""The fault suite's pure parts: the table in docs/reliability.md drawn from recorded results,
and the probe's sum of unavailable time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.fault_probe import unavailable_seconds
from tests.fixtures.fault_report import (
    TABLE_END,
    TABLE_START,
    FaultReport,
    case_slug,
    redraw_reliability_table,
    render_table,
    replace_table,
)


def _user(
    unavailable: float = 0.0,
    *,
    restarted: bool = False,
    logged_out: bool = False,
    intact: bool = True,
) -> dict[str, Any]:
    return {
        "unavailable_s": unavailable,
        "lab_restarted": restarted,
        "logged_out": logged_out,
        "files_intact": intact,
    }


def _result(case: str, path: str, **users: dict[str, Any]) -> dict[str, Any]:
    return {
        "case": case,
        "path": path,
        "users": users,
        "note": "",
        "measured_at": "2026-11-30 19:00",
        "commit": "abc1234",
    }


def test_the_table_lists_kubernetes_first_then_cases_by_name() -> None:
    table = render_table(
        [
            _result("traefik killed", "compose", alice=_user()),
            _result("proxy pod deleted", "kubernetes", alice=_user(3.31), bob=_user(0)),
            _result("hub pod deleted", "kubernetes", alice=_user()),
            _result("StellarsHub deleted", "kubernetes", alice=_user()),
        ]
    )
    rows = table.splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| hub pod deleted",
        "| proxy pod deleted",
        "| StellarsHub deleted",
        "| traefik killed",
    ]
    assert "| alice 3.3, bob 0.0 |" in rows[1]
    assert "| none | none | intact |" in rows[1]
    assert rows[1].endswith("| 2026-11-30 19:00 (abc1234) |")


def test_a_row_names_who_restarted_was_logged_out_or_lost_files() -> None:
    row = render_table(
        [
            _result(
                "x",
                "compose",
                alice=_user(restarted=True, logged_out=True),
                bob=_user(intact=False, restarted=True),
            )
        ]
    ).splitlines()[2]
    assert "| alice, bob | alice | LOST: bob |" in row


def test_an_empty_table_says_nothing_has_run() -> None:
    assert "no fault case has run yet" in render_table([])


def test_the_table_replaces_only_what_lies_between_the_markers() -> None:
    document = f"# Reliability\nbefore\n{TABLE_START}\nold table\n{TABLE_END}\nafter\n"
    replaced = replace_table(document, "| new |")
    assert replaced == f"# Reliability\nbefore\n{TABLE_START}\n| new |\n{TABLE_END}\nafter\n"
    assert replace_table(replaced, "| new |") == replaced
    with pytest.raises(ValueError, match="fault-table"):
        replace_table("no markers", "| new |")


def test_each_record_is_a_file_and_the_table_is_drawn_from_all_of_them(tmp_path: Path) -> None:
    results = tmp_path / "fault-results"
    document = tmp_path / "reliability.md"
    document.write_text(f"{TABLE_START}\n{TABLE_END}\n")
    # Two sessions (pytest workers), each recording its own case.
    FaultReport(results_dir=results, commit="c1").record(
        case="hub pod deleted", path="kubernetes", users={"alice": _user()}
    )
    FaultReport(results_dir=results, commit="c1").record(
        case="Traefik killed", path="compose", users={"bob": _user(1.5)}, note="restart policy"
    )
    saved = json.loads((results / "compose-traefik-killed.json").read_text())
    assert saved["users"]["bob"]["unavailable_s"] == 1.5
    assert saved["commit"] == "c1"
    redraw_reliability_table(results_dir=results, document=document)
    text = document.read_text()
    assert "| hub pod deleted | kubernetes |" in text
    assert "| Traefik killed | compose | bob 1.5 |" in text
    assert "restart policy" in text


def test_a_record_must_say_every_field_and_a_known_path(tmp_path: Path) -> None:
    report = FaultReport(results_dir=tmp_path, commit="c")
    with pytest.raises(ValueError, match="files_intact"):
        report.record(
            case="x",
            path="kubernetes",
            users={"a": {"unavailable_s": 0, "lab_restarted": False, "logged_out": False}},
        )
    with pytest.raises(ValueError, match="path"):
        report.record(case="x", path="docker", users={})


def test_case_slugs_are_file_names() -> None:
    slug = case_slug("kubernetes", "Hub pod killed (SIGKILL)")
    assert slug == "kubernetes-hub-pod-killed-sigkill"


def test_unavailable_time_runs_from_the_first_failure_to_the_next_success() -> None:
    samples = [(0.0, True), (1.0, False), (1.2, False), (2.0, True), (3.0, False), (3.5, True)]
    assert unavailable_seconds(samples) == pytest.approx(1.5)
    assert unavailable_seconds([(0.0, True), (0.2, True)]) == 0
    # Still failing when the probe stopped: counted up to the last sample.
    assert unavailable_seconds([(0.0, True), (1.0, False), (4.0, False)]) == pytest.approx(3.0)
    assert unavailable_seconds([]) == 0
