"""NativeAuthenticator set-up and the admin account the hub creates, on a real sqlite DB."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import sqlalchemy
import sqlalchemy.orm
from jupyterhub import orm
from nativeauthenticator.orm import UserInfo
from traitlets.config import Config

from stellars_hub.auth import (
    SEED_SIGNUP,
    AdminBootstrapError,
    StellarsAuthenticator,
    configure_auth,
)
from stellars_hub.contract import SignupPolicy
from stellars_hub.settings import load_settings

Make = Callable[..., StellarsAuthenticator]


@pytest.fixture(autouse=True)
def cheap_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """NativeAuthenticator's hashing at bcrypt's lowest cost, so the tests stay quick."""
    gensalt = bcrypt.gensalt
    monkeypatch.setattr(bcrypt, "gensalt", lambda: gensalt(rounds=4))


def open_database(url: str) -> Any:
    """JupyterHub's tables on a sqlite file (without alembic, which resets logging)."""
    engine = sqlalchemy.create_engine(url)
    orm.Base.metadata.create_all(engine)
    return sqlalchemy.orm.sessionmaker(bind=engine)()


@pytest.fixture
def make_authenticator(tmp_path: Path) -> Make:
    """A hub start: JupyterHub's ORM on a sqlite file, the authenticator as configured."""
    url = f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"

    def make(signup: SignupPolicy = SEED_SIGNUP, **environment: str) -> StellarsAuthenticator:
        c = Config()
        settings = load_settings({"STELLARS_DATA_DIR": str(tmp_path), **environment})
        configure_auth(c, settings, signup=signup)
        db = open_database(url)
        # A plain logger, so that caplog sees the INFO lines (traitlets' own is WARNING).
        log = logging.getLogger("stellars.test.auth")
        return StellarsAuthenticator(config=c, _deprecated_db_session=db, log=log)

    return make


def login(authenticator: StellarsAuthenticator, username: str, password: str) -> Any:
    return asyncio.run(
        authenticator.authenticate(None, {"username": username, "password": password})
    )


def test_first_start_creates_the_admin_with_a_generated_password(
    make_authenticator: Make, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        authenticator = make_authenticator()

    password_file = tmp_path / "admin-password"
    password = password_file.read_text().strip()
    assert len(password) >= 20
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    info = UserInfo.find(authenticator.db, "admin")
    assert info.is_authorized
    assert info.password.startswith(b"$2")  # bcrypt, NativeAuthenticator's own hashing
    assert info.is_valid_password(password)
    assert login(authenticator, "admin", password) == "admin"
    assert f"admin password: see {password_file}" in caplog.text


def test_a_second_start_changes_nothing(make_authenticator: Make, tmp_path: Path) -> None:
    first = make_authenticator()
    hashed = UserInfo.find(first.db, "admin").password
    password = (tmp_path / "admin-password").read_text()

    second = make_authenticator()

    assert [i.username for i in UserInfo.all_users(second.db)] == ["admin"]
    assert UserInfo.find(second.db, "admin").password == hashed
    assert (tmp_path / "admin-password").read_text() == password


def test_a_password_from_the_environment_is_used_and_not_written(
    make_authenticator: Make, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        authenticator = make_authenticator(
            JUPYTERHUB_ADMIN="Boss", JUPYTERHUB_ADMIN_PASSWORD="from-the-secret"
        )

    assert login(authenticator, "boss", "from-the-secret") == "boss"
    assert not (tmp_path / "admin-password").exists()
    assert "admin password: from the environment (JUPYTERHUB_ADMIN_PASSWORD)" in caplog.text


@pytest.mark.parametrize("name", ["admin", "Admin", " ADMIN"])
def test_signing_up_under_the_admin_name_is_refused(make_authenticator: Make, name: str) -> None:
    authenticator = make_authenticator(JUPYTERHUB_ADMIN_PASSWORD="the-real-one")

    assert authenticator.create_user(name.strip(), "squatter-password") is None
    assert login(authenticator, "admin", "squatter-password") is None
    assert login(authenticator, "admin", "the-real-one") == "admin"


def test_the_admin_name_stays_refused_even_after_its_account_is_deleted(
    make_authenticator: Make,
) -> None:
    authenticator = make_authenticator()
    authenticator.db.delete(UserInfo.find(authenticator.db, "admin"))
    authenticator.db.commit()

    assert authenticator.create_user("admin", "squatter-password") is None
    assert UserInfo.find(authenticator.db, "admin") is None


def test_others_sign_up_and_wait_for_approval(make_authenticator: Make) -> None:
    authenticator = make_authenticator()

    info = authenticator.create_user("bob", "bobs-password")

    assert info is not None and not info.is_authorized
    assert login(authenticator, "bob", "bobs-password") is None
    UserInfo.change_authorization(authenticator.db, "bob")
    assert login(authenticator, "bob", "bobs-password") == "bob"


def test_repeated_failed_logins_lock_a_users_account(make_authenticator: Make) -> None:
    authenticator = make_authenticator()
    authenticator.create_user("bob", "bobs-password")
    UserInfo.change_authorization(authenticator.db, "bob")

    for _ in range(authenticator.allowed_failed_logins):
        assert login(authenticator, "bob", "wrong") is None

    assert login(authenticator, "bob", "bobs-password") is None  # locked out for now
    assert authenticator.seconds_before_next_try > 0


def test_nobody_can_lock_the_admin_out_with_wrong_passwords(make_authenticator: Make) -> None:
    authenticator = make_authenticator(JUPYTERHUB_ADMIN_PASSWORD="right-password")

    for _ in range(authenticator.allowed_failed_logins * 3):
        assert login(authenticator, "admin", "wrong") is None

    assert login(authenticator, "admin", "right-password") == "admin"


def test_an_admin_name_that_names_a_users_account_stops_the_start(
    make_authenticator: Make, tmp_path: Path
) -> None:
    first = make_authenticator(JUPYTERHUB_ADMIN_PASSWORD="the-admins-own")
    first.create_user("mallory", "mallorys-password")
    UserInfo.change_authorization(first.db, "mallory")

    with pytest.raises(AdminBootstrapError, match="'mallory' belongs to an account this hub did"):
        make_authenticator(JUPYTERHUB_ADMIN="mallory")

    assert (tmp_path / "admin-accounts").read_text().split() == ["admin"]


def test_an_admin_account_the_hub_made_before_the_record_existed_is_kept(
    make_authenticator: Make, tmp_path: Path
) -> None:
    make_authenticator(JUPYTERHUB_ADMIN_PASSWORD="the-admins-own")
    (tmp_path / "admin-accounts").unlink()  # a data volume from before the record

    upgraded = make_authenticator(JUPYTERHUB_ADMIN_PASSWORD="the-admins-own")

    assert login(upgraded, "admin", "the-admins-own") == "admin"
    assert (tmp_path / "admin-accounts").read_text().split() == ["admin"]


def test_a_new_admin_name_gets_a_new_account_made_by_the_hub(
    make_authenticator: Make, tmp_path: Path
) -> None:
    make_authenticator(JUPYTERHUB_ADMIN_PASSWORD="the-admins-own")

    renamed = make_authenticator(JUPYTERHUB_ADMIN="chief", JUPYTERHUB_ADMIN_PASSWORD="chiefs-own")

    assert login(renamed, "chief", "chiefs-own") == "chief"
    assert sorted((tmp_path / "admin-accounts").read_text().split()) == ["admin", "chief"]


@pytest.mark.parametrize("asked", [None, 1, 7])
def test_sign_up_refuses_passwords_shorter_than_eight_whatever_is_asked(
    make_authenticator: Make, asked: int | None
) -> None:
    authenticator = make_authenticator(
        SignupPolicy(open_signup=True, minimum_password_length=asked)
    )

    assert authenticator.minimum_password_length == 8
    assert authenticator.create_user("erin", "seven77") is None
    assert authenticator.create_user("erin", "eight888x") is not None


def test_sign_up_refuses_common_passwords(make_authenticator: Make) -> None:
    authenticator = make_authenticator(SignupPolicy(open_signup=True))

    assert authenticator.create_user("frank", "password") is None
    assert authenticator.create_user("frank", "qwertyuiop") is None
    assert authenticator.create_user("frank", "franks-own-words") is not None


def test_a_password_nativeauthenticator_refuses_stops_the_start(tmp_path: Path) -> None:
    c = Config()
    configure_auth(c, load_settings({"STELLARS_DATA_DIR": str(tmp_path)}))
    c.NativeAuthenticator.minimum_password_length = 64
    c.StellarsAuthenticator.admin_password_from_environment = "short"
    db = open_database(f"sqlite:///{tmp_path / 'hub.sqlite'}")

    with pytest.raises(AdminBootstrapError, match="'admin' could not be created"):
        StellarsAuthenticator(config=c, _deprecated_db_session=db)


def test_configure_auth_is_the_seeds_policy_plus_lockout() -> None:
    c = Config()

    configure_auth(c, load_settings({"JUPYTERHUB_ADMIN": "root"}))

    assert c.JupyterHub.authenticator_class is StellarsAuthenticator
    assert c.Authenticator.admin_users == {"root"}
    assert c.Authenticator.allow_all is True
    assert c.NativeAuthenticator.enable_signup is True
    assert c.NativeAuthenticator.open_signup is False
    assert c.NativeAuthenticator.allowed_failed_logins > 0
    assert c.NativeAuthenticator.seconds_before_next_try > 0
    assert c.StellarsAuthenticator.admin_password_file == "/data/admin-password"
    assert c.StellarsAuthenticator.admin_accounts_file == "/data/admin-accounts"
    assert c.NativeAuthenticator.minimum_password_length == 8
    assert c.NativeAuthenticator.check_common_password is True


def test_with_sign_up_off_the_hub_still_makes_its_admin(make_authenticator: Make) -> None:
    authenticator = make_authenticator(
        SignupPolicy(enabled=False), JUPYTERHUB_ADMIN_PASSWORD="admin-password-1"
    )

    assert login(authenticator, "admin", "admin-password-1") == "admin"
    assert authenticator.enable_signup is False
    assert authenticator.create_user("carol", "carols-password") is None


def test_open_sign_up_still_never_gives_away_the_admin_name(make_authenticator: Make) -> None:
    authenticator = make_authenticator(SignupPolicy(open_signup=True, minimum_password_length=12))

    assert authenticator.create_user("dave", "short") is None
    dave = authenticator.create_user("dave", "long-enough-pass")
    assert dave is not None and dave.is_authorized
    assert authenticator.create_user("admin", "long-enough-pass") is None


@pytest.mark.parametrize("name", ["bob\u200b", "b\u043eb", "bob.smith", "bob smith", "x" * 33])
def test_sign_up_refuses_names_outside_the_policy(make_authenticator: Make, name: str) -> None:
    authenticator = make_authenticator()
    assert authenticator.create_user(name, "bobs-password") is None
    assert UserInfo.find(authenticator.db, name) is None
    # Upper case is folded, not refused: "Bob" signs up as bob.
    assert authenticator.create_user("Bob", "bobs-password").username == "bob"


def test_the_first_start_makes_the_volume_record_beside_the_database(
    make_authenticator: Make, tmp_path: Path
) -> None:
    make_authenticator()
    record = (tmp_path / "volume-owners.json").read_text()
    make_authenticator()
    assert (tmp_path / "volume-owners.json").read_text() == record
