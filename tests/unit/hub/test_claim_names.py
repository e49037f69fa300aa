"""Users' claim names on Kubernetes: two hubs in a namespace never share one, and an older user
keeps the claim of the old name only when it is recorded for this user of this hub."""

from __future__ import annotations

import itertools

import pytest

from stellars_hub.claim_names import (
    claim_name_template,
    keeps_old_claim,
    old_claim_name_template,
)
from stellars_hub.names import safe_name
from stellars_hub.volume_owner import (
    LEGACY_INSTANCE_KEY,
    LEGACY_USERNAME_KEY,
    OWNER_KEY,
    Existing,
)

VOLUMES = ("home", "workspace", "cache")


def claim(hub: str, user: str, volume: str = "home") -> str:
    return claim_name_template(hub, volume).format(username=safe_name(user))


def test_the_two_hubs_of_the_issue_get_different_readable_names() -> None:
    assert claim("team", "ml-alice") == "team--ml-alice-home"
    assert claim("team-ml", "alice") == "team-ml--alice-home"
    # The old scheme gave both the same name.
    old = {
        old_claim_name_template(h, "home").format(username=u)
        for h, u in [("team", "ml-alice"), ("team-ml", "alice")]
    }
    assert old == {"team-ml-alice-home"}


def test_no_two_hub_user_volume_triples_share_a_claim_name() -> None:
    # Policy names, and older accounts' names (they become `slug--<hash>`).
    users = ("alice", "ml-alice", "ml", "alice-home", "a", "Bob", "ml--x", "Jane.Doe@example.com")
    hubs = ("team", "team-ml", "t", "team-ml-alice", "ml")
    names: dict[str, tuple[str, str, str]] = {}
    for hub, user, volume in itertools.product(hubs, users, VOLUMES):
        name = claim(hub, user, volume)
        assert names.setdefault(name, (hub, user, volume)) == (hub, user, volume), name
        # The first `--` ends the hub's name.
        assert name.split("--", 1)[0] == hub


def alices_old_claim(*, hub: str = "team", user: str = "alice", stamped: bool = False) -> Existing:
    annotations = {LEGACY_USERNAME_KEY: user, **({OWNER_KEY: user} if stamped else {})}
    return Existing("team-alice-home", {LEGACY_INSTANCE_KEY: hub}, annotations)


@pytest.mark.parametrize("stamped", [False, True])
def test_the_old_claim_recorded_for_this_user_of_this_hub_is_kept(stamped: bool) -> None:
    assert keeps_old_claim(alices_old_claim(stamped=stamped), user="alice", hub_name="team")


def test_a_user_without_an_old_claim_gets_the_new_name() -> None:
    assert not keeps_old_claim(None, user="alice", hub_name="team")


def test_another_hubs_old_claim_under_the_old_name_is_left_alone() -> None:
    # `team-ml`'s alice finds the old claim of `team`'s ml-alice (both `team-ml-alice-home`).
    theirs = Existing(
        "team-ml-alice-home", {LEGACY_INSTANCE_KEY: "team"}, {LEGACY_USERNAME_KEY: "ml-alice"}
    )
    assert not keeps_old_claim(theirs, user="alice", hub_name="team-ml")
    assert keeps_old_claim(theirs, user="ml-alice", hub_name="team")


def test_an_old_claim_of_another_user_or_without_a_record_is_left_alone() -> None:
    assert not keeps_old_claim(alices_old_claim(user="mallory"), user="alice", hub_name="team")
    assert not keeps_old_claim(alices_old_claim(hub="other"), user="alice", hub_name="team")
    bare = Existing("team-alice-home", {}, {})
    assert not keeps_old_claim(bare, user="alice", hub_name="team")


def test_the_owner_stamp_outranks_the_username_annotation() -> None:
    # A stamped claim whose annotation was edited still belongs to its stamped owner.
    edited = Existing(
        "team-alice-home",
        {LEGACY_INSTANCE_KEY: "team"},
        {OWNER_KEY: "mallory", LEGACY_USERNAME_KEY: "alice"},
    )
    assert not keeps_old_claim(edited, user="alice", hub_name="team")
