"""volume_owner.py and account_record.py: whose a user volume is, decided from its stamp."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from stellars_hub import account_record
from stellars_hub.account_record import adopt, load_or_create, spawner_identity
from stellars_hub.volume_owner import (
    ACCOUNT_KEY,
    HUB_DATA_KEY,
    LEGACY_INSTANCE_KEY,
    LEGACY_USERNAME_KEY,
    OWNER_KEY,
    Existing,
    Spawner,
    Use,
    check_volume,
)

ALICE = Spawner(
    user="alice", account="2026-01-02T03:04:05.000006", hub_data="db1", predates_stamps=False
)
ADOPT = "adopt alice"


def stamped(spawner: Spawner, *, name: str = "team-alice-home") -> Existing:
    return Existing(name, {LEGACY_INSTANCE_KEY: "team"}, spawner.stamp())


def check(existing: Existing | None, spawner: Spawner = ALICE, hub: str | None = "team") -> str:
    verdict = check_volume(existing, spawner, hub_name=hub, how_to_adopt=ADOPT)
    assert verdict.allowed == (verdict.refusal == "")
    return verdict.use.value if verdict.use else verdict.refusal


def test_a_missing_volume_is_created_and_the_owners_own_is_mounted() -> None:
    assert check(None) == Use.CREATE.value
    assert check(stamped(ALICE)) == Use.MOUNT.value
    assert check(stamped(ALICE), hub=None) == Use.MOUNT.value


def test_another_users_volume_is_refused_and_cannot_be_adopted() -> None:
    # A look-alike name whose volume name collides with alice's: its stamp names alice.
    mallory = Spawner("al\u0131ce", ALICE.account, "db1", predates_stamps=True, adopted=True)
    message = check(stamped(ALICE), spawner=mallory)
    assert message.startswith(
        "Your volume team-alice-home was not mounted: it belongs to the user 'alice'"
    )
    assert ADOPT not in message and "tell the administrator" in message


def test_another_hubs_or_an_earlier_accounts_volume_is_refused_naming_the_adoption() -> None:
    other_hub = Spawner("alice", ALICE.account, "db2", predates_stamps=False)
    assert "another hub's account of that name made it" in check(stamped(ALICE), other_hub)
    newer = Spawner("alice", "2026-05-01T00:00:00.000000", "db1", predates_stamps=False)
    message = check(stamped(ALICE), newer)
    assert "an earlier account of that name made it (created 2026-01-02T03:04:05.000006)" in message
    assert f"({ADOPT}; docs/security.md, 'User volumes')" in message
    adopted = Spawner("alice", newer.account, "db1", predates_stamps=False, adopted=True)
    assert check(stamped(ALICE), adopted) == Use.MOUNT.value


def legacy_claim(user: str, hub: str) -> Existing:
    return Existing("team-ml-alice-home", {LEGACY_INSTANCE_KEY: hub}, {LEGACY_USERNAME_KEY: user})


def test_an_unstamped_volume_is_mounted_only_for_an_account_older_than_the_stamps() -> None:
    old = Spawner("alice", "2025-01-01T00:00:00.000000", "db1", predates_stamps=True)
    docker_legacy = Existing("jupyterlab-alice_home", {}, {})
    assert check(docker_legacy, old, hub=None) == Use.MOUNT.value
    assert "it predates this account" in check(docker_legacy, ALICE, hub=None)
    assert check(legacy_claim("alice", "team"), old) == Use.MOUNT.value


def test_an_unstamped_claim_of_another_hub_or_user_is_refused_even_for_old_accounts() -> None:
    # Hub `team` + user `ml-alice` and hub `team-ml` + user `alice` both name team-ml-alice-home.
    ml_alice = Spawner("ml-alice", "2025-01-01T00:00:00.000000", "db1", predates_stamps=True)
    message = check(legacy_claim("alice", "team-ml"), ml_alice, hub="team")
    assert "it was made for the user 'alice' of the hub 'team-ml'" in message
    old_alice = Spawner("alice", "2025-01-01T00:00:00.000000", "db1", predates_stamps=True)
    assert "of the hub 'team-ml'" in check(legacy_claim("alice", "team-ml"), old_alice, hub="team")


def test_the_stamp_names_user_account_and_database() -> None:
    assert ALICE.stamp() == {OWNER_KEY: "alice", ACCOUNT_KEY: ALICE.account, HUB_DATA_KEY: "db1"}


def test_the_record_is_made_once_and_tells_old_accounts_from_new(tmp_path: Path) -> None:
    path = tmp_path / "volume-owners.json"
    record = load_or_create(path)
    assert load_or_create(path) == record
    assert len(record.hub_data) == 32
    before = spawner_identity(path, user="alice", created=datetime(2020, 1, 1))
    after = spawner_identity(path, user="bob", created=datetime(2999, 1, 1))
    assert before.predates_stamps and not after.predates_stamps
    assert spawner_identity(path, user="carl", created=None).predates_stamps
    assert before.hub_data == after.hub_data == record.hub_data


def test_adopt_gives_the_current_account_its_names_volumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "volume-owners.json"
    load_or_create(path)
    with sqlite3.connect(tmp_path / "jupyterhub.sqlite") as db:
        db.execute("CREATE TABLE users (name TEXT, created DATETIME)")
        db.execute("INSERT INTO users VALUES ('alice', '2999-01-01 10:11:12.000013')")
    monkeypatch.setenv("STELLARS_DATA_DIR", str(tmp_path))
    assert account_record.main(["adopt", "nobody"]) == 1
    assert not spawner_identity(
        path, user="alice", created=datetime(2999, 1, 1, 10, 11, 12, 13)
    ).adopted
    assert account_record.main(["adopt", "alice"]) == 0
    assert "created 2999-01-01T10:11:12.000013" in capsys.readouterr().out
    alice = spawner_identity(path, user="alice", created=datetime(2999, 1, 1, 10, 11, 12, 13))
    assert alice.adopted
    # Only that account: a later one under the same name is not.
    assert not spawner_identity(path, user="alice", created=datetime(2999, 2, 1)).adopted
    assert adopt(path, user="bob", account="x").adopted == {"alice": alice.account, "bob": "x"}
    assert account_record.main(["bogus"]) == 2
