"""handlers/locks.py: one lock per hub, shared by every handler through kopf's memo."""

import copy

import kopf

from stellars_operator.handlers.locks import claim_pass, hub_lock, start_pass


def test_same_hub_same_lock_other_hub_other_lock() -> None:
    memo = kopf.Memo()
    first = hub_lock(memo, "team", "demo")
    assert hub_lock(memo, "team", "demo") is first
    assert hub_lock(memo, "team", "other") is not first
    assert hub_lock(memo, "other-team", "demo") is not first


def test_objects_memos_share_the_locks_made_at_start_up() -> None:
    """kopf gives each object a shallow copy of the operator's memo (startup puts the dict)."""
    operator_memo = kopf.Memo()
    operator_memo.hub_locks = {}
    node_memo, hub_memo = copy.copy(operator_memo), copy.copy(operator_memo)
    assert hub_lock(node_memo, "team", "demo") is hub_lock(hub_memo, "team", "demo")


def test_one_pass_waits_per_hub_and_a_started_pass_lets_the_next_wait() -> None:
    memo = kopf.Memo()
    assert claim_pass(memo, "team", "demo")
    assert not claim_pass(memo, "team", "demo")  # the waiting pass will see this event too
    assert claim_pass(memo, "team", "other")
    start_pass(memo, "team", "demo")  # it reads now: later events need another pass
    assert claim_pass(memo, "team", "demo")
