"""handlers/locks.py: one lock per hub, shared by every handler through kopf's memo."""

import kopf

from stellars_operator.handlers.locks import hub_lock


def test_same_hub_same_lock_other_hub_other_lock() -> None:
    memo = kopf.Memo()
    first = hub_lock(memo, "team", "demo")
    assert hub_lock(memo, "team", "demo") is first
    assert hub_lock(memo, "team", "other") is not first
    assert hub_lock(memo, "other-team", "demo") is not first
