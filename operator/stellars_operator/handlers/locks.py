"""One lock per hub: the reconcile and the Node watcher never write a hub's status at once.

The locks live in a dict that `startup.configure` puts in the operator's memo before any object
is seen (each object's memo is a shallow copy of it, so they all hold that same dict).
"""

import threading
from typing import Any

_guard = threading.Lock()


def hub_lock(memo: Any, namespace: str | None, name: str) -> threading.Lock:
    """The lock of hub namespace/name, created on first use and kept in kopf's memo."""
    with _guard:
        locks: dict[tuple[str, str], threading.Lock] = memo.setdefault("hub_locks", {})
        return locks.setdefault((namespace or "", name), threading.Lock())
