"""A pass's own status write, remembered until the watch delivers it.

A pass reads its hub from the watch index (handlers/indexes.py). Under load the index can lag
behind the status the previous pass wrote; the next pass would then compare with the older
status, take every condition for new, stamp fresh transition times and write again, and each
write wakes more passes. So a pass that wrote remembers the hub as it made it, and the next pass
uses that for as long as the index still shows the version that write started from.

The dict lives in kopf's memo (`startup.configure` creates it), shared by every handler.
"""

import copy
import threading
from collections.abc import Mapping
from typing import Any

_guard = threading.Lock()

HubKey = tuple[str, str]


def _written(memo: Any) -> dict[HubKey, tuple[str, dict[str, Any]]]:
    written: dict[HubKey, tuple[str, dict[str, Any]]] = memo.setdefault("hubs_written", {})
    return written


def remember_status(
    memo: Any, key: HubKey, based_on: Mapping[str, Any], status: Mapping[str, Any]
) -> None:
    """`status` was just merged into the hub `based_on` (as the index showed it)."""
    version = str((based_on.get("metadata") or {}).get("resourceVersion", ""))
    if not version:
        return  # nothing to tell the index's next version by
    hub = {**copy.deepcopy(dict(based_on)), "status": {**(based_on.get("status") or {}), **status}}
    with _guard:
        _written(memo)[key] = (version, hub)


def freshest(memo: Any, key: HubKey, indexed: dict[str, Any]) -> dict[str, Any]:
    """The indexed hub, or the one this operator wrote when the index has not caught up."""
    version = str((indexed.get("metadata") or {}).get("resourceVersion", ""))
    with _guard:
        entry = _written(memo).get(key)
        if entry is None:
            return indexed
        if entry[0] != version:
            del _written(memo)[key]  # the index has moved on: it knows better now
            return indexed
        return copy.deepcopy(entry[1])


def forget(memo: Any, key: HubKey) -> None:
    with _guard:
        _written(memo).pop(key, None)
