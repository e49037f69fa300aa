"""The hub's record about its accounts' volumes, kept beside its database (`volume-owners.json`).

- `hub_data`: a random id made with the account database; every user volume is stamped with it,
  so volumes of another hub, or of this hub before its database was deleted, are told apart.
- `since`: when this hub began stamping volumes. Accounts created before it may mount their
  unstamped (older) volumes; accounts created later may not.
- `adopted`: accounts an admin gave the volumes of their name to, explicitly:

      python -m stellars_hub.account_record adopt alice

  run inside the hub's container (`docker exec <hub> ...`, `kubectl exec deploy/<hub>-hub -- ...`).

The record lives and dies with the database: kept when the database is kept, new when it is new.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from stellars_hub.volume_owner import Spawner, account_id

RECORD_FILE: Final = "volume-owners.json"
DATABASE_FILE: Final = "jupyterhub.sqlite"


@dataclass(frozen=True)
class AccountRecord:
    hub_data: str
    since: str
    # user name -> the account id an admin gave that name's volumes to
    adopted: dict[str, str] = field(default_factory=dict)

    def predates_stamps(self, account: str) -> bool:
        # "" is an account without a creation time: only very old ones.
        return account < self.since

    def has_adopted(self, user: str, account: str) -> bool:
        return bool(account) and self.adopted.get(user) == account


def spawner_identity(path: Path, *, user: str, created: datetime | None) -> Spawner:
    """The spawning account, as volume_owner.check_volume compares it with a volume's stamp."""
    record = load_or_create(path)
    account = account_id(created)
    return Spawner(
        user=user,
        account=account,
        hub_data=record.hub_data,
        predates_stamps=record.predates_stamps(account),
        adopted=record.has_adopted(user, account),
    )


def load_or_create(path: Path) -> AccountRecord:
    """The record; made at the hub's first start with this code (before any new sign-up)."""
    if path.exists():
        return read(path)
    record = AccountRecord(
        hub_data=uuid.uuid4().hex,
        since=account_id(datetime.now(UTC).replace(tzinfo=None)),
    )
    _write(path, record)
    return record


def read(path: Path) -> AccountRecord:
    document = json.loads(path.read_text())
    return AccountRecord(
        hub_data=str(document["hub_data"]),
        since=str(document["since"]),
        adopted={str(k): str(v) for k, v in (document.get("adopted") or {}).items()},
    )


def adopt(path: Path, *, user: str, account: str) -> AccountRecord:
    record = read(path)
    updated = AccountRecord(record.hub_data, record.since, {**record.adopted, user: account})
    _write(path, updated)
    return updated


def _write(path: Path, record: AccountRecord) -> None:
    document = {"hub_data": record.hub_data, "since": record.since, "adopted": record.adopted}
    # Written whole, then renamed: a reader never sees half a record.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".volume-owners")
    with os.fdopen(descriptor, "w") as stream:
        json.dump(document, stream, indent=1, sort_keys=True)
    os.replace(temporary, path)


def account_of(database: Path, user: str) -> str | None:
    """The account id of `user` in the hub's database, read-only; None when there is none."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        row = connection.execute("SELECT created FROM users WHERE name = ?", (user,)).fetchone()
    if row is None:
        return None
    created = row[0]
    return account_id(datetime.fromisoformat(created) if created else None)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "adopt":
        print("usage: python -m stellars_hub.account_record adopt USER", file=sys.stderr)
        return 2
    user = argv[1]
    data_dir = Path(os.environ.get("STELLARS_DATA_DIR", "/data"))
    account = account_of(data_dir / DATABASE_FILE, user)
    if account is None:
        print(f"no account {user!r} in {data_dir / DATABASE_FILE}: it must log in once first")
        return 1
    adopt(data_dir / RECORD_FILE, user=user, account=account)
    print(f"the volumes named for {user!r} now belong to its account created {account}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
