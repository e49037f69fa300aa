"""Whose a user volume is, and whether a spawn may mount an existing one (both paths).

Every user volume the hub creates carries a stamp: the user's name, the account (its creation
time in the hub's database) and the hub's account database (a random id made with it,
account_record.py). Before a spawn mounts a volume that already exists, `check_volume` compares
the stamp with the spawning account; anything but an exact match is refused with a message,
never mounted. So a look-alike name whose volume name collides, another hub whose names collide
in the same namespace, a re-installed hub whose database was deleted, and a new account under an
old name all get a refusal instead of someone else's files.

Volumes from before the stamp ("legacy", unstamped) are mounted only for accounts that existed
before this hub started stamping, and on Kubernetes only when KubeSpawner's own record on the
claim (the `hub.jupyter.org/username` annotation and the hub's instance label) names this user
and hub. An admin gives volumes to a newer account explicitly (`adopt`, account_record.py).

Pure: labels and annotations in, a verdict out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

OWNER_KEY: Final = "stellars.io/owner"
ACCOUNT_KEY: Final = "stellars.io/account"
HUB_DATA_KEY: Final = "stellars.io/hub-data"
# What KubeSpawner (and this hub before the stamp) wrote on each claim it made.
LEGACY_USERNAME_KEY: Final = "hub.jupyter.org/username"
LEGACY_INSTANCE_KEY: Final = "app.kubernetes.io/instance"


def account_id(created: datetime | None) -> str:
    """The account's identity: its creation time in the hub's database ("" when unknown)."""
    return created.strftime("%Y-%m-%dT%H:%M:%S.%f") if created else ""


class VolumeRefusedError(Exception):
    """A user volume exists and is not this account's; `jupyterhub_message` reaches the user."""

    def __init__(self, message: str) -> None:
        self.jupyterhub_message = message
        super().__init__(message)


@dataclass(frozen=True)
class Spawner:
    """The account that wants its volumes, as the hub knows it."""

    user: str
    account: str
    hub_data: str
    # The account existed before the hub began stamping volumes (account_record.since).
    predates_stamps: bool
    # An admin gave this account the volumes of its name (account_record.adopt).
    adopted: bool = False

    def stamp(self) -> dict[str, str]:
        return {OWNER_KEY: self.user, ACCOUNT_KEY: self.account, HUB_DATA_KEY: self.hub_data}


class Use(Enum):
    CREATE = "create"
    MOUNT = "mount"


@dataclass(frozen=True)
class Verdict:
    use: Use | None
    refusal: str = ""

    @property
    def allowed(self) -> bool:
        return self.use is not None


@dataclass(frozen=True)
class Existing:
    """An existing volume's metadata: Docker labels, or a claim's labels and annotations."""

    name: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]

    def value(self, key: str) -> str | None:
        return self.annotations.get(key, self.labels.get(key))


def check_volume(
    existing: Existing | None, spawner: Spawner, *, hub_name: str | None, how_to_adopt: str
) -> Verdict:
    """May `spawner` use this volume? `hub_name`: the hub's instance label on Kubernetes (None on
    Docker, whose legacy volumes carry no record). `how_to_adopt`: the command, for messages."""
    if existing is None:
        return Verdict(Use.CREATE)
    owner = existing.value(OWNER_KEY)
    if owner is None:
        return _check_legacy(existing, spawner, hub_name=hub_name, how_to_adopt=how_to_adopt)
    if owner != spawner.user:
        return _refuse(existing, f"it belongs to the user {owner!r}, not {spawner.user!r}")
    same_data = existing.value(HUB_DATA_KEY) == spawner.hub_data
    same_account = existing.value(ACCOUNT_KEY) == spawner.account
    if same_data and same_account:
        return Verdict(Use.MOUNT)
    if spawner.adopted:
        return Verdict(Use.MOUNT)
    why = (
        "another hub's account of that name made it"
        if not same_data
        else f"an earlier account of that name made it (created {existing.value(ACCOUNT_KEY)})"
    )
    return _refuse(existing, why, how_to_adopt=how_to_adopt)


def _check_legacy(
    existing: Existing, spawner: Spawner, *, hub_name: str | None, how_to_adopt: str
) -> Verdict:
    if hub_name is not None:
        recorded_user = existing.annotations.get(LEGACY_USERNAME_KEY)
        recorded_hub = existing.labels.get(LEGACY_INSTANCE_KEY)
        if recorded_user != spawner.user or recorded_hub != hub_name:
            return _refuse(
                existing,
                f"it was made for the user {recorded_user!r} of the hub {recorded_hub!r}",
            )
    if spawner.predates_stamps or spawner.adopted:
        return Verdict(Use.MOUNT)
    return _refuse(
        existing,
        "it predates this account (made before volumes were stamped with their account)",
        how_to_adopt=how_to_adopt,
    )


def _refuse(existing: Existing, why: str, *, how_to_adopt: str = "") -> Verdict:
    message = f"Your volume {existing.name} was not mounted: {why}."
    if how_to_adopt:
        message += (
            f" If these files are yours, ask the administrator to give them to your account "
            f"({how_to_adopt}; docs/security.md, 'User volumes')."
        )
    else:
        message += " Please tell the administrator."
    return Verdict(None, message)
