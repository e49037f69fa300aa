"""A pass's own status write stands in for the watch index until the index catches up."""

from __future__ import annotations

from typing import Any

from stellars_operator.handlers.written_status import forget, freshest, remember_status

KEY = ("ns", "hub")


def _hub(version: str, **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "hub", "resourceVersion": version}, "status": status}


def test_the_written_status_is_used_while_the_index_shows_the_version_it_was_based_on() -> None:
    memo: dict[str, Any] = {"hubs_written": {}}
    remember_status(memo, KEY, _hub("7", phase="Pending", url="u"), {"phase": "Progressing"})

    seen = freshest(memo, KEY, _hub("7", phase="Pending", url="u"))

    assert seen["status"] == {"phase": "Progressing", "url": "u"}
    seen["status"]["phase"] = "changed by the pass"  # each pass gets a copy of its own
    assert freshest(memo, KEY, _hub("7"))["status"]["phase"] == "Progressing"


def test_the_index_wins_once_it_has_moved_on_and_the_memory_is_dropped() -> None:
    memo: dict[str, Any] = {"hubs_written": {}}
    remember_status(memo, KEY, _hub("7", phase="Pending"), {"phase": "Progressing"})

    assert freshest(memo, KEY, _hub("8", phase="Ready"))["status"] == {"phase": "Ready"}
    assert memo["hubs_written"] == {}
    assert freshest(memo, KEY, _hub("7", phase="Pending"))["status"] == {"phase": "Pending"}


def test_nothing_is_remembered_without_a_version_or_after_forget() -> None:
    memo: dict[str, Any] = {"hubs_written": {}}
    remember_status(memo, KEY, {"metadata": {}, "status": {}}, {"phase": "Progressing"})
    assert memo["hubs_written"] == {}
    remember_status(memo, KEY, _hub("7"), {"phase": "Progressing"})
    forget(memo, KEY)
    assert freshest(memo, KEY, _hub("7"))["status"] == {}
