"""Hand the memory a burst of work freed back to the system.

A burst (a hundred hubs created at once: their watch events decoded, children rendered and
applied over as many connections) frees most of what it allocated, but glibc keeps the freed
pages in its heaps, so the operator's resident size stays at the burst's peak long after.
`malloc_trim(0)` returns every free page. Before it, a full garbage collection frees what
only reference cycles still held, which lets Python give whole arenas back too. Both take
milliseconds, so the operator runs them on a timer (STELLARS_MALLOC_TRIM_SECONDS, 0 to turn it
off).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
from collections.abc import Callable, Mapping
from typing import Final

DEFAULT_TRIM_SECONDS: Final = 30.0

log = logging.getLogger(__name__)


def trim_seconds(environ: Mapping[str, str]) -> float:
    """The interval from STELLARS_MALLOC_TRIM_SECONDS; 0 (off) for a value that is not a
    non-negative number."""
    raw = environ.get("STELLARS_MALLOC_TRIM_SECONDS", "").strip()
    if not raw:
        return DEFAULT_TRIM_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        log.warning("STELLARS_MALLOC_TRIM_SECONDS=%r is not a number: no trimming", raw)
        return 0.0
    return max(seconds, 0.0)


def malloc_trim() -> Callable[[], int] | None:
    """glibc's malloc_trim(0), or None where the C library has none (musl)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: int(trim(0))


async def trim_periodically(seconds: float) -> None:
    """Trim every `seconds` until cancelled; returns at once without glibc."""
    trim = malloc_trim()
    if trim is None:
        log.info("no malloc_trim in this C library: freed memory stays with the allocator")
        return
    while True:
        await asyncio.sleep(seconds)
        gc.collect()
        trim()
