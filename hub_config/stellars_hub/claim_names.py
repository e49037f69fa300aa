"""The names of a user's claims on Kubernetes, and which name an existing user keeps (pure).

A claim is `<hub>--<safe username>-<volume>`. The CRD forbids `--` in hub names and the hub and
the safe name begin and end with a letter or digit, so the first `--` of a claim name ends the
hub's name: two hubs in one namespace never share a claim name (hub `team` with user
`ml-alice` is `team--ml-alice-home`, hub `team-ml` with user `alice` is `team-ml--alice-home`).
Within a hub, two users share a name only when their safe names do (a hash collision of two
non-conforming names, names.py); the ownership stamp (volume_owner.py) refuses that one.

Older hubs named claims `<hub>-<safe username>-<volume>`, where those two examples meet. A user
whose new-name claim does not exist yet keeps the old-name claim when the claim's own record
(the hub's instance label, and the owner stamp or KubeSpawner's username annotation) names this
user of this hub; `volume_owner.check_volume` then decides, as for any existing claim, whether
this account may mount it. Another hub's or user's old claim is left alone: the user gets a
new-name claim.
"""

from __future__ import annotations

from typing import Final

from stellars_hub.volume_owner import (
    LEGACY_INSTANCE_KEY,
    LEGACY_USERNAME_KEY,
    OWNER_KEY,
    Existing,
)

HUB_SEPARATOR: Final = "--"
USERNAME_FIELD: Final = "{username}"


def claim_name_template(hub_name: str, volume: str) -> str:
    """The claim of `volume` (home, workspace, cache); `{username}` is the user's safe name."""
    return f"{hub_name}{HUB_SEPARATOR}{USERNAME_FIELD}-{volume}"


def old_claim_name_template(hub_name: str, volume: str) -> str:
    """How hubs before the separator named the claim (kept for the users who have one)."""
    return f"{hub_name}-{USERNAME_FIELD}-{volume}"


def keeps_old_claim(old: Existing | None, *, user: str, hub_name: str) -> bool:
    """Does the user, whose new-name claim does not exist, use this old-name claim instead?"""
    if old is None:
        return False
    recorded_user = old.value(OWNER_KEY) or old.annotations.get(LEGACY_USERNAME_KEY)
    return recorded_user == user and old.labels.get(LEGACY_INSTANCE_KEY) == hub_name
