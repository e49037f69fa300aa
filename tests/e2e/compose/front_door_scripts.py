"""Running the Compose front-door scripts (compose/*.sh) as a person would, never on a terminal."""

from __future__ import annotations

import os
import subprocess

from tests.fixtures.docker import COMPOSE_DIR

SCRIPT_TIMEOUT_S = 600


def run_script(name: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """compose/NAME with ARGS and the extra ENV; stdin closed, so a script that asks gets EOF."""
    return subprocess.run(
        [str(COMPOSE_DIR / name), *args],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
        check=False,
    )
