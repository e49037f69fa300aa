"""The landing page after login and the admin's pending sign-ups link (stellars_hub.landing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupyterhub
import pytest
import sqlalchemy
import sqlalchemy.orm
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from nativeauthenticator.orm import Base as NativeBase
from nativeauthenticator.orm import UserInfo
from traitlets.config import Config

from stellars_hub.landing import TEMPLATES_DIR, configure_landing, pending_signups
from stellars_hub.settings import load_settings

JUPYTERHUB_TEMPLATES = Path(jupyterhub.__file__).parents[4] / "share" / "jupyterhub" / "templates"


@dataclass
class PageUser:
    """What a template sees of JupyterHub's user: its name, admin flag and the DB session."""

    name: str
    admin: bool
    db: Any = None
    spawner: Any = None


@pytest.fixture
def db() -> Any:
    engine = sqlalchemy.create_engine("sqlite://")
    NativeBase.metadata.create_all(engine)
    return sqlalchemy.orm.sessionmaker(bind=engine)()


def sign_up(db: Any, name: str, *, authorized: bool) -> None:
    db.add(UserInfo(username=name, password=b"x", is_authorized=authorized))
    db.commit()


def render_page(user: PageUser, pending: int) -> str:
    """Our page.html the way JupyterHub's loader finds it (template_paths first, its own under
    the `templates/` prefix)."""
    assert JUPYTERHUB_TEMPLATES.is_dir(), JUPYTERHUB_TEMPLATES
    loader = ChoiceLoader(
        [
            PrefixLoader({"templates": FileSystemLoader([str(JUPYTERHUB_TEMPLATES)])}, "/"),
            FileSystemLoader([str(TEMPLATES_DIR), str(JUPYTERHUB_TEMPLATES)]),
        ]
    )
    environment = Environment(loader=loader, autoescape=True)
    return environment.get_template("page.html").render(
        user=user,
        base_url="/jupyterhub/hub/",
        static_url=lambda path, **_: path,
        parsed_scopes=set(),
        services=[],
        pending_signups=pending,
    )


def test_everyone_lands_on_the_hub_home_page_not_on_a_spawn() -> None:
    c = Config()
    configure_landing(c, load_settings({"JUPYTERHUB_BASE_URL": "/jupyterhub"}))

    assert c.JupyterHub.default_url == "/jupyterhub/hub/home"
    assert c.JupyterHub.redirect_to_server is False
    assert c.JupyterHub.template_paths == [str(TEMPLATES_DIR)]
    assert c.JupyterHub.template_vars["pending_signups"] is pending_signups


def test_pending_signups_counts_unapproved_accounts_for_admins_only(db: Any) -> None:
    sign_up(db, "admin", authorized=True)
    sign_up(db, "alice", authorized=False)
    sign_up(db, "bob", authorized=False)
    sign_up(db, "carol", authorized=True)

    assert pending_signups(PageUser("admin", admin=True, db=db)) == 2
    assert pending_signups(PageUser("carol", admin=False, db=db)) == 0
    assert pending_signups(None) == 0


def test_the_admin_sees_the_authorize_link_with_the_number_waiting() -> None:
    page = render_page(PageUser("admin", admin=True), pending=3)

    assert 'href="/jupyterhub/hub/authorize"' in page
    assert "3 waiting" in page


def test_no_badge_when_nobody_waits_and_no_link_for_users() -> None:
    admin_page = render_page(PageUser("admin", admin=True), pending=0)
    user_page = render_page(PageUser("alice", admin=False), pending=0)

    assert 'href="/jupyterhub/hub/authorize"' in admin_page
    assert "waiting" not in admin_page
    assert "/hub/authorize" not in user_page
    assert 'href="/jupyterhub/hub/change-password"' in user_page
