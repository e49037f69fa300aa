"""The spawn form and the server-side check of a choice, for both spawners.

A spawner that offers profiles has `offered_profiles()` (Kubernetes: read from `gpu.json` at
every call; Docker: fixed at start-up). `configure_profile_choice` points JupyterHub's hooks
here: `options_form` shows the profiles the user's groups allow (nothing when there is only
one), `options_from_form` keeps the profile and a GPU count, and `apply_user_options`, which
JupyterHub runs for form posts and REST API starts alike, refuses what the user may not have
(HTTP 400 with the reason) and leaves the choice on `spawner.profile_choice`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, Final

from tornado import web
from traitlets.config import Config

from stellars_hub.profiles import (
    Choice,
    Profile,
    ProfileRefused,
    allowed_profiles,
    choose_profile,
    options_from_form,
    preselected,
)

CHOICE_ATTRIBUTE: Final = "profile_choice"


class ProfileRejectedError(web.HTTPError):
    """A refused choice: HTTP 400, and the sentence JupyterHub shows above the form."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message.replace("%", "%%"))
        self.jupyterhub_message = message


def user_groups(spawner: Any) -> list[str]:
    return [group.name for group in getattr(spawner.user, "groups", None) or []]


def _gpu_badge(profile: Profile) -> str:
    if not profile.gpus:
        return ""
    plural = "s" if profile.gpus > 1 else ""
    return f' <span class="badge bg-secondary">{profile.gpus} GPU{plural}</span>'


def render_form(allowed: Sequence[Profile], *, selected: str | None) -> str:
    """Radio buttons, one per profile, in order; `selected` is checked."""
    rows = []
    for profile in allowed:
        slug = html.escape(profile.slug, quote=True)
        checked = " checked" if profile.slug == selected else ""
        description = html.escape(profile.description)
        rows.append(
            f'<div class="radio stellars-profile">\n'
            f'  <label for="profile-{slug}">\n'
            f'    <input type="radio" name="profile" id="profile-{slug}" value="{slug}"'
            f' data-gpus="{profile.gpus}"{checked}>\n'
            f"    <strong>{html.escape(profile.display_name)}</strong>{_gpu_badge(profile)}\n"
            f'    <div class="text-muted small">{description}</div>\n'
            f"  </label>\n"
            f"</div>"
        )
    body = "\n".join(rows)
    return f'<fieldset id="stellars-profiles">\n<legend>Lab profile</legend>\n{body}\n</fieldset>\n'


def _allowed(spawner: Any) -> tuple[Profile, ...]:
    return allowed_profiles(spawner.offered_profiles(), user_groups(spawner))


def profile_options_form(spawner: Any) -> str:
    """The form, or "" (JupyterHub then starts at once) when there is nothing to choose."""
    allowed = _allowed(spawner)
    if len(allowed) <= 1:
        return ""
    last = (spawner.user_options or {}).get("profile")
    return render_form(
        allowed, selected=preselected(allowed, last if isinstance(last, str) else None)
    )


def profile_options_from_form(form: Mapping[str, Sequence[str]]) -> dict[str, str]:
    return options_from_form(form)


def apply_profile_choice(spawner: Any, user_options: Mapping[str, Any]) -> None:
    """Check the choice against what this user may start now; remember it for the spawn."""
    offered = spawner.offered_profiles()
    if not offered:
        # Nothing to choose: every lab gets the hub's GPU placement.
        if user_options:
            spawner.log.info("No profiles offered; options %s ignored", sorted(user_options))
        setattr(spawner, CHOICE_ATTRIBUTE, None)
        return
    allowed = allowed_profiles(offered, user_groups(spawner))
    try:
        choice: Choice = choose_profile(allowed, user_options)
    except ProfileRefused as refused:
        spawner.log.warning("Profile refused for %s: %s", spawner.user.name, refused)
        raise ProfileRejectedError(str(refused)) from refused
    spawner.log.info(
        "Profile for %s: %s (%d GPU)", spawner.user.name, choice.slug, choice.profile.gpus
    )
    setattr(spawner, CHOICE_ATTRIBUTE, choice)


def chosen_profile(spawner: Any) -> Profile | None:
    choice: Choice | None = getattr(spawner, CHOICE_ATTRIBUTE, None)
    return choice.profile if choice else None


def configure_profile_choice(c: Config, section: str) -> None:
    """Point the spawner class `section` (e.g. "StellarsKubeSpawner") at these hooks."""
    spawner = getattr(c, section)
    spawner.options_form = profile_options_form
    spawner.options_from_form = profile_options_from_form
    spawner.apply_user_options = apply_profile_choice
