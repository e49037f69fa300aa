"""How much each benchmark family measures: `smoke` (the default, what `make test` runs: every
path once, small counts) or `full` (`make bench`), chosen by STELLARS_BENCH_PROFILE."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.fixtures.paths import REPO

PROFILE_VARIABLE: Final = "STELLARS_BENCH_PROFILE"
OUT_VARIABLE: Final = "STELLARS_BENCH_OUT"


@dataclass(frozen=True)
class Counts:
    name: str
    repetitions: int  # side-by-side pairs of hub apply -> Ready (about 40 s a pair)
    spawn_repetitions: int  # side-by-side pairs of spawn -> ready (about 10 s a pair)
    patches: int  # spec changes
    drift_edits: int  # hand edits and deletions repaired
    users: int  # concurrent users on each path
    hubs: int  # StellarsHubs of the scale case
    idle_window_s: float  # how long the scale case watches an idle operator (at least)
    scale_resync_s: int | None  # the operator's resync there (None: its default, 300 s)


SMOKE: Final = Counts(
    "smoke",
    repetitions=1,
    spawn_repetitions=1,
    patches=3,
    drift_edits=2,
    users=2,
    hubs=3,
    idle_window_s=10,
    scale_resync_s=5,
)
FULL: Final = Counts(
    "full",
    repetitions=5,
    spawn_repetitions=10,
    patches=50,
    drift_edits=20,
    users=20,
    hubs=100,
    idle_window_s=120,
    scale_resync_s=None,
)


def selected() -> Counts:
    name = os.environ.get(PROFILE_VARIABLE, "smoke")
    if name not in ("smoke", "full"):
        raise ValueError(f"{PROFILE_VARIABLE}={name!r}: expected smoke or full")
    return FULL if name == "full" else SMOKE


def out_dir(default: Path) -> Path:
    """Where the JSON goes: STELLARS_BENCH_OUT, else `default` (a smoke run's temporary dir)."""
    chosen = os.environ.get(OUT_VARIABLE)
    return Path(chosen) if chosen else default


BENCH_RESULTS: Final = REPO / "bench-results"
