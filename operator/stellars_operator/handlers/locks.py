"""One lock per hub: passes over a hub, and the Node watcher's GPU refresh, never overlap.

The locks live in a dict that `startup.configure` puts in the operator's memo before any object
is seen (each object's memo is a shallow copy of it, so they all hold that same dict). Beside
them, the hubs whose next pass is already waiting: a burst of child events (a hub's own apply
echoing back, a watch re-listing) then costs one more pass, not one per event.
"""

import threading
from typing import Any

_guard = threading.Lock()


def hub_lock(memo: Any, namespace: str | None, name: str) -> threading.Lock:
    """The lock of hub namespace/name, created on first use and kept in kopf's memo."""
    with _guard:
        locks: dict[tuple[str, str], threading.Lock] = memo.setdefault("hub_locks", {})
        return locks.setdefault((namespace or "", name), threading.Lock())


def claim_pass(memo: Any, namespace: str | None, name: str) -> bool:
    """True when no pass of this hub is waiting yet; the caller then runs one (which calls
    `start_pass` once it holds the lock, before it reads anything)."""
    with _guard:
        waiting: set[tuple[str, str]] = memo.setdefault("hubs_waiting", set())
        key = (namespace or "", name)
        if key in waiting:
            return False
        waiting.add(key)
        return True


def start_pass(memo: Any, namespace: str | None, name: str) -> None:
    """A pass of this hub starts reading: events from now on need another pass."""
    with _guard:
        memo.setdefault("hubs_waiting", set()).discard((namespace or "", name))
