"""Fault injection for the fault suite: the operator SIGKILLs itself just before its n-th write.

Off unless `STELLARS_FAULT_KILL_AT` is set (never in the chart). The writes counted are the
operator's own requests that change an object: server-side apply, merge patch and delete through
`kube.Kube` (the one place its reconcile and teardown write). kopf's bookkeeping (finalizers,
progress annotations, events) and the leader Lease are not counted. A kill before write n leaves
writes 1..n-1 done and nothing of write n sent: restarted each time, the operator must converge
from whatever state a pass was cut off in (docs/reliability.md, "Operator killed mid-change").
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from typing import Final

logger = logging.getLogger(__name__)

KILL_AT_VARIABLE: Final = "STELLARS_FAULT_KILL_AT"


def parse_kill_at(environ: Mapping[str, str]) -> int | None:
    """The write number from the environment; None when unset or empty. A value that is not a
    positive integer raises ValueError naming the variable (a typo must not pass silently)."""
    raw = environ.get(KILL_AT_VARIABLE, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{KILL_AT_VARIABLE} must be a positive integer, not {raw!r}")
    return int(raw)


def _sigkill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class WriteKillSwitch:
    """Counts writes; SIGKILLs the process just before write number `kill_at` (None: never)."""

    def __init__(self, kill_at: int | None, *, kill: Callable[[], None] = _sigkill_self) -> None:
        self.kill_at = kill_at
        self.writes = 0
        self._kill = kill
        self._lock = threading.Lock()  # kopf runs sync handlers in a thread pool

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> WriteKillSwitch:
        return cls(parse_kill_at(environ))

    @property
    def armed(self) -> bool:
        return self.kill_at is not None

    def before_write(self, method: str, path: str) -> None:
        """Called before each write is sent; kills the process at the chosen one."""
        if self.kill_at is None:
            return
        with self._lock:
            self.writes += 1
            number = self.writes
        if number == self.kill_at:
            # The log line is how a test tells which write the process died before.
            logger.warning("fault injection: SIGKILL before write %d (%s %s)", number, method, path)
            for handler in logging.getLogger().handlers:
                handler.flush()
            self._kill()
