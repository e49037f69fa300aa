"""Where people land after login, and the admin's link to pending sign-ups (both paths).

After login everyone lands on the hub's home page (`/hub/home`, the Compose platform's
`default_url`): no lab starts until its owner presses Start, so the admin never gets a lab by
logging in. The navigation bar of every hub page gains NativeAuthenticator's "Authorize users"
link for admins, with the number of sign-ups waiting for approval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from nativeauthenticator.orm import UserInfo
from traitlets.config import Config

from stellars_hub.settings import HubSettings

# Our page.html extends JupyterHub's own ("templates/page.html") with the admin's link.
TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"
LANDING_PATH: Final = "hub/home"


def landing_url(base_url: str) -> str:
    """The hub's home page under the URL prefix (`base_url` ends with /)."""
    return base_url + LANDING_PATH


def pending_signups(user: Any) -> int:
    """Sign-ups waiting for approval, for an admin's page; 0 for everyone else.

    JupyterHub calls this with the page's user (None when logged out). NativeAuthenticator keeps
    its accounts in the hub's database, in the session the user object carries.
    """
    if user is None or not getattr(user, "admin", False):
        return 0
    count: int = user.db.query(UserInfo).filter(UserInfo.is_authorized.is_(False)).count()
    return count


def configure_landing(c: Config, settings: HubSettings) -> None:
    """Land on the home page after login; show admins the pending sign-ups."""
    c.JupyterHub.default_url = landing_url(settings.base_url)
    # Belt and braces: without a default_url JupyterHub would send people to spawn.
    c.JupyterHub.redirect_to_server = False
    c.JupyterHub.template_paths = [str(TEMPLATES_DIR)]
    c.JupyterHub.template_vars = {"pending_signups": pending_signups}
