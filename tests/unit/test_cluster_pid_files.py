"""tests/cluster/lib.sh `pid_of`: which recorded pid still counts as the named daemon.

cluster-up.sh starts each daemon as `setsid NAME ...` and records the pid; pid_of decides later
whether that pid still runs NAME (else the pid file is stale and removed). A process between
setsid and NAME's exec shows an empty command line for a moment; pid_of once took that for a
dead daemon and failed a CI run. Real processes stand in for the daemons here; only the empty
moment itself is staged, by overriding lib.sh's one reader of /proc/PID/cmdline.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

LIB: Final = Path(__file__).resolve().parents[2] / "tests" / "cluster" / "lib.sh"
NAME: Final = "stellars-sleeper"


def _pid_of(state: Path, *, prelude: str = "") -> subprocess.CompletedProcess[str]:
    script = f'set -euo pipefail; source "{LIB}"; {prelude}\npid_of {NAME}'
    return subprocess.run(
        ["bash", "-c", script],
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(state), "STELLARS_CLUSTER_STATE": str(state)},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    (tmp_path / "run").mkdir()
    return tmp_path


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line names NAME (a copy of sleep under that name)."""
    binary = tmp_path / NAME
    binary.write_bytes(Path("/bin/sleep").read_bytes())
    binary.chmod(0o755)
    process = subprocess.Popen([str(binary), "60"])
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def reads(tmp_path: Path) -> Path:
    """A file the staged reader of /proc/PID/cmdline adds a line to at each call."""
    path = tmp_path / "reads"
    path.write_text("")
    return path


def _record(state: Path, pid: int) -> Path:
    pid_file = state / "run" / f"{NAME}.pid"
    pid_file.write_text(f"{pid}\n")
    return pid_file


def test_a_live_process_running_the_daemon_is_found(
    state: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    pid_file = _record(state, sleeper.pid)
    result = _pid_of(state)
    assert (result.returncode, result.stdout.strip()) == (0, str(sleeper.pid)), result.stderr
    assert pid_file.exists()


def test_a_recycled_pid_running_another_program_is_stale(state: Path) -> None:
    other = subprocess.Popen(["sleep", "60"])
    try:
        pid_file = _record(state, other.pid)
        result = _pid_of(state)
        assert (result.returncode, result.stdout) == (1, "")
        assert not pid_file.exists()
    finally:
        other.kill()
        other.wait()


def test_a_dead_pid_is_stale(state: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    pid_file = _record(state, gone.pid)
    assert _pid_of(state).returncode == 1
    assert not pid_file.exists()


def test_a_zombie_is_stale(state: Path, tmp_path: Path) -> None:
    binary = tmp_path / NAME
    binary.write_bytes(Path("/bin/true").read_bytes())
    binary.chmod(0o755)
    zombie = subprocess.Popen([str(binary)])  # exits at once; not reaped until wait()
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < deadline, "the stand-in never became a zombie"
            time.sleep(0.05)
        pid_file = _record(state, zombie.pid)
        assert _pid_of(state).returncode == 1
        assert not pid_file.exists()
    finally:
        zombie.wait()


def test_a_process_in_the_middle_of_exec_is_read_again_not_taken_for_dead(
    state: Path, sleeper: subprocess.Popen[bytes], reads: Path
) -> None:
    """The first three reads of its command line come back empty, as mid-exec."""
    pid_file = _record(state, sleeper.pid)
    prelude = f"""
proc_cmdline() {{
  echo x >>"{reads}"
  [ "$(wc -l <"{reads}")" -gt 3 ] || return 0
  tr '\\0' ' ' <"/proc/$1/cmdline"
}}"""
    result = _pid_of(state, prelude=prelude)
    assert (result.returncode, result.stdout.strip()) == (0, str(sleeper.pid)), result.stderr
    assert pid_file.exists()
    assert len(reads.read_text().splitlines()) == 4  # three empty reads, then the real one


def test_a_command_line_that_stays_empty_is_stale_after_the_wait(
    state: Path, sleeper: subprocess.Popen[bytes], reads: Path
) -> None:
    pid_file = _record(state, sleeper.pid)
    result = _pid_of(state, prelude=f'proc_cmdline() {{ echo x >>"{reads}"; }}')
    assert result.returncode == 1
    assert not pid_file.exists()
    assert len(reads.read_text().splitlines()) == 50  # read again for 5 s before giving up
