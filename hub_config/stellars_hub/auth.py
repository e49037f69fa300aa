"""NativeAuthenticator as the platform uses it, and the admin account the hub makes itself.

With plain NativeAuthenticator whoever signs up first under the admin's name becomes admin. Here
the hub creates that account when it constructs its authenticator (right after NativeAuthenticator
creates its table), with `JUPYTERHUB_ADMIN_PASSWORD` or a generated password kept in
`$STELLARS_DATA_DIR/admin-password`, and sign-up refuses every admin name for good.

The hub also records the admin accounts it made (`$STELLARS_DATA_DIR/admin-accounts`): when the
admin name changes to the name of an existing user's account, that account is not silently made
admin; the hub refuses to start and says why. Admin names are exempt from NativeAuthenticator's
lockout per user name, which would let anyone lock the admin out with wrong passwords; password
guessing is bounded per client at the front door instead (docs/security.md).

Sign-up also refuses user names outside the policy of `username_policy.py` (no invisible or
look-alike characters), and the sign-up page says what is allowed.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import SignUpHandler
from nativeauthenticator.orm import UserInfo
from traitlets import Unicode
from traitlets.config import Config

from stellars_hub.account_record import RECORD_FILE, load_or_create
from stellars_hub.contract import SignupPolicy
from stellars_hub.settings import HubSettings
from stellars_hub.username_policy import refusal_message

ADMIN_PASSWORD_FILE: Final = "admin-password"  # noqa: S105 - a file name
# The names of the admin accounts this hub created, one per line.
ADMIN_ACCOUNTS_FILE: Final = "admin-accounts"
# NativeAuthenticator's lockout: this many failed logins, then a wait.
ALLOWED_FAILED_LOGINS: Final = 5
SECONDS_BEFORE_NEXT_TRY: Final = 600
# Sign-up refuses shorter passwords, whatever a setting asks for.
MINIMUM_PASSWORD_LENGTH: Final = 8


SEED_SIGNUP: Final = SignupPolicy()


class AdminBootstrapError(RuntimeError):
    """The admin account could not be created (e.g. a password NativeAuthenticator refuses), or
    an account the hub did not create holds the admin name."""


class AdminAccounts:
    """The record of admin accounts the hub created, kept beside its database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def names(self) -> set[str]:
        if not self.path.exists():
            return set()
        return {line.strip() for line in self.path.read_text().splitlines() if line.strip()}

    def add(self, name: str) -> None:
        if name in self.names():
            return
        with self.path.open("a") as stream:
            stream.write(name + "\n")


@dataclass(frozen=True)
class AdminPassword:
    value: str
    # Where a person finds it, for the log line.
    where: str


def admin_password(*, from_environment: str, password_file: Path) -> AdminPassword:
    """The environment's password, else the kept one, else a new one written to the file."""
    if from_environment:
        return AdminPassword(from_environment, "from the environment (JUPYTERHUB_ADMIN_PASSWORD)")
    where = f"see {password_file}"
    if password_file.exists():
        return AdminPassword(password_file.read_text().strip(), where)
    value = secrets.token_urlsafe(18)
    # O_EXCL + 0600 from the start: the file is never readable by others, not even briefly.
    descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(value + "\n")
    return AdminPassword(value, where)


class PolicySignUpHandler(SignUpHandler):  # type: ignore[misc]
    """The sign-up page, saying which names are allowed when it refuses one (username_policy)."""

    def get_result_message(
        self,
        user: Any,
        assume_user_is_human: bool,
        username_already_taken: bool,
        confirmation_matches: bool,
        user_is_admin: bool,
    ) -> tuple[str, str]:
        name = self.authenticator.normalize_username(self.get_body_argument("username", ""))
        refused = refusal_message(name)
        if user is None and refused and assume_user_is_human and not username_already_taken:
            return "alert-danger", refused
        result: tuple[str, str] = super().get_result_message(
            user, assume_user_is_human, username_already_taken, confirmation_matches, user_is_admin
        )
        return result


class StellarsAuthenticator(NativeAuthenticator):  # type: ignore[misc]
    """NativeAuthenticator that owns the admin account instead of leaving it to sign-up."""

    admin_password_from_environment = Unicode(
        "", config=True, help="The admin's password; empty to use or generate the file's."
    )
    admin_password_file = Unicode(
        "/data/admin-password", config=True, help="Where a generated admin password is kept."
    )
    admin_accounts_file = Unicode(
        "/data/admin-accounts", config=True, help="The record of admin accounts the hub made."
    )

    volume_record_file = Unicode(
        "", config=True, help="The account record of volume ownership; empty: none."
    )

    def __init__(self, add_new_table: bool = True, **kwargs: Any) -> None:
        super().__init__(add_new_table=add_new_table, **kwargs)
        if add_new_table:
            # Made at the first start with volume stamps, before any new sign-up: accounts
            # older than it keep their unstamped volumes (volume_owner.py).
            if self.volume_record_file:
                load_or_create(Path(self.volume_record_file))
            self.bootstrap_admins()

    def bootstrap_admins(self) -> None:
        record = AdminAccounts(Path(self.admin_accounts_file))
        # A hub from before the record existed made its admin accounts itself (sign-up has always
        # refused admin names): the existing accounts of today's admin names are adopted once.
        adopt_existing = not record.exists()
        for admin in sorted(self.admin_users):
            self._bootstrap_admin(self.normalize_username(admin), record, adopt_existing)

    def _bootstrap_admin(self, name: str, record: AdminAccounts, adopt_existing: bool) -> None:
        existing = UserInfo.find(self.db, name)
        if existing is not None:
            if adopt_existing:
                record.add(name)
            if name not in record.names():
                raise AdminBootstrapError(
                    f"the admin name {name!r} belongs to an account this hub did not create as "
                    f"admin (a user's sign-up); refusing to make it admin. Set the admin name "
                    f"back ({', '.join(sorted(record.names())) or 'the previous one'}), or "
                    f"delete or rename the account {name!r} first (docs/security.md)"
                )
            self.log.info("admin account %r exists; admin password: %s", name, self._where())
            return
        password = admin_password(
            from_environment=self.admin_password_from_environment,
            password_file=Path(self.admin_password_file),
        )
        # NativeAuthenticator's own create_user hashes with bcrypt and checks the password
        # rules; ours refuses admin names, so call the parent's explicitly. It also refuses
        # everyone while sign-up is off, which must not stop the hub making its admin.
        signup_enabled = bool(self.enable_signup)
        self.set_trait("enable_signup", True)
        try:
            info = NativeAuthenticator.create_user(self, name, password.value)
        finally:
            self.set_trait("enable_signup", signup_enabled)
        if info is None:
            raise AdminBootstrapError(
                f"admin account {name!r} could not be created: NativeAuthenticator refused "
                f"the name or the password (at least {self.minimum_password_length} characters)"
            )
        info.is_authorized = True
        self.db.commit()
        record.add(name)
        self.log.info("admin account %r created; admin password: %s", name, password.where)

    def _is_admin_name(self, username: str) -> bool:
        name = self.normalize_username(username)
        return name in {self.normalize_username(admin) for admin in self.admin_users}

    def is_blocked(self, username: str) -> bool:
        # No lockout per name for the admin: anyone could lock the admin out with five wrong
        # passwords. The front door's limit per client bounds guessing instead.
        if self._is_admin_name(username):
            return False
        return bool(super().is_blocked(username))

    def add_login_attempt(self, username: str) -> None:
        if not self._is_admin_name(username):
            super().add_login_attempt(username)

    def _where(self) -> str:
        if self.admin_password_from_environment:
            return "from the environment (JUPYTERHUB_ADMIN_PASSWORD) when first created"
        if Path(self.admin_password_file).exists():
            return f"see {self.admin_password_file}"
        return "as set by the admin"

    def create_user(self, username: str, password: str, **kwargs: Any) -> Any:
        # Sign-up never creates an admin account: the hub made it, and if it was deleted
        # the next start makes it again.
        name = self.normalize_username(username)
        if self._is_admin_name(name):
            self.log.warning("sign-up under the admin name %r refused", name)
            return None
        refused = refusal_message(name)
        if refused:
            self.log.warning("sign-up as %r refused: %s", name, refused)
            return None
        return super().create_user(username, password, **kwargs)

    def get_handlers(self, app: Any) -> list[tuple[str, Any]]:
        return [
            (route, PolicySignUpHandler if handler is SignUpHandler else handler)
            for route, handler in super().get_handlers(app)
        ]


def configure_auth(c: Config, settings: HubSettings, *, signup: SignupPolicy = SEED_SIGNUP) -> None:
    """Sign-up with admin approval, lockout after failed logins, the admin made by the hub."""
    c.JupyterHub.authenticator_class = StellarsAuthenticator
    c.Authenticator.admin_users = {settings.admin_user}
    # Every account the admin approved may log in; approval is NativeAuthenticator's.
    c.Authenticator.allow_all = True
    c.NativeAuthenticator.enable_signup = signup.enabled
    c.NativeAuthenticator.open_signup = signup.open_signup
    c.NativeAuthenticator.minimum_password_length = max(
        MINIMUM_PASSWORD_LENGTH, signup.minimum_password_length or 0
    )
    # Refuse the passwords of NativeAuthenticator's list of common ones at sign-up.
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = ALLOWED_FAILED_LOGINS
    c.NativeAuthenticator.seconds_before_next_try = SECONDS_BEFORE_NEXT_TRY
    c.StellarsAuthenticator.admin_password_from_environment = settings.admin_password
    c.StellarsAuthenticator.admin_password_file = str(settings.data_dir / ADMIN_PASSWORD_FILE)
    c.StellarsAuthenticator.admin_accounts_file = str(settings.data_dir / ADMIN_ACCOUNTS_FILE)
    c.StellarsAuthenticator.volume_record_file = str(settings.data_dir / RECORD_FILE)
