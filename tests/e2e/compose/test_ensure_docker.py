"""scripts/ensure-docker.sh never touches a Docker daemon it did not start, and still starts one
when nothing runs. Every path (socket, pid files, exec and data roots, bridge) is a temporary
one, so the engine the other tests use is never disturbed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.docker import ROOT
from tests.fixtures.polling import wait_for

pytestmark = [pytest.mark.docker]

SCRIPT = ROOT / "scripts" / "ensure-docker.sh"
# A bridge and range of its own: a dockerd without one deletes docker0 (docs/testing.md).
BRIDGE = "stellars-edk0"
BRIDGE_ADDRESS = "10.213.251.1/24"


@pytest.fixture
def paths() -> Iterator[Path]:
    # Short: unix socket paths (containerd's, under the exec root) must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="stellars-ed-"))
    try:
        yield root
    finally:
        subprocess.run(["umount", "-R", str(root)], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def script_env(root: Path, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    return {
        **env,
        "STELLARS_DOCKER_STATE": str(root / "state"),
        "STELLARS_DOCKER_SOCKET": str(root / "docker.sock"),
        "STELLARS_DOCKER_EXEC_ROOT": str(root / "exec"),
        "STELLARS_DOCKERD_PIDFILE": str(root / "docker.pid"),
        **more,
    }


def run(env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def gone(pid: int) -> bool:
    """The process has ended (a zombie not yet reaped counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def accepts(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(5)
        try:
            client.connect(str(path))
        except OSError:
            return False
        return True


# A daemon that owns its socket and is slow to answer (as systemd's dockerd can be at boot):
# it accepts connections and never replies.
SLOW_DAEMON = """
import socket, sys
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
server.listen(16)
print("listening", flush=True)
held = []
while True:
    held.append(server.accept()[0])
"""


@pytest.mark.parametrize("our_pid_file", ["none", "a dead dockerd of ours"])
def test_a_slow_daemon_it_did_not_start_keeps_its_socket(paths: Path, our_pid_file: str) -> None:
    sock = paths / "docker.sock"
    daemon = subprocess.Popen(
        ["python3", "-c", SLOW_DAEMON, str(sock)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert daemon.stdout is not None and daemon.stdout.readline().strip() == "listening"
        if our_pid_file != "none":
            (paths / "state").mkdir()
            (paths / "state" / "dockerd.pid").write_text(f"{dead_pid()}\n")
        # Were a dockerd started after all, these flags keep it off the main engine's bridge,
        # rules and data (its bridge does not exist, so it could not even start).
        harmless = f"--data-root={paths / 'data'} --bridge=stellars-none0 --iptables=false"
        env = script_env(
            paths,
            STELLARS_DOCKER_WAIT="1",
            STELLARS_DOCKER_PING_TIMEOUT="1",
            STELLARS_DOCKERD_ARGS=harmless,
        )

        result = run(env)

        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert "did not start" in output and "not touching it" in output, output
        assert sock.is_socket(), "the daemon's socket was deleted"
        assert daemon.poll() is None and accepts(sock), "the daemon no longer listens"
        assert "starting dockerd" not in output, output
        started = subprocess.run(
            ["pgrep", "-f", f"dockerd --host=unix://{sock}"], capture_output=True, check=False
        )
        assert started.returncode == 1, "a second dockerd was started on the daemon's socket"
    finally:
        daemon.kill()
        daemon.wait()


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def bridge() -> Iterator[str]:
    ip("link", "delete", BRIDGE)
    for args in (
        ("link", "add", "name", BRIDGE, "type", "bridge"),
        ("address", "add", BRIDGE_ADDRESS, "dev", BRIDGE),
        ("link", "set", BRIDGE, "up"),
    ):
        result = ip(*args)
        assert result.returncode == 0, f"ip {' '.join(args)}: {result.stderr}"
    try:
        yield BRIDGE
    finally:
        ip("link", "delete", BRIDGE)


def test_starts_a_daemon_when_none_runs_after_clearing_its_own_dead_ones_leftovers(
    paths: Path, bridge: str
) -> None:
    # What a killed run of our own dockerd leaves: our pid file naming a dead process, and a
    # socket file nobody listens on.
    (paths / "state").mkdir()
    (paths / "state" / "dockerd.pid").write_text(f"{dead_pid()}\n")
    sock = paths / "docker.sock"
    with socket.socket(socket.AF_UNIX) as stale:
        stale.bind(str(sock))
    assert sock.is_socket() and not accepts(sock)
    args = (
        f"--data-root={paths / 'data'} --bridge={bridge} --storage-driver=vfs "
        "--iptables=false --ip6tables=false --ip-masq=false"
    )
    env = script_env(paths, STELLARS_DOCKERD_ARGS=args)
    pid = 0
    try:
        result = run(env)

        output = result.stdout + result.stderr
        assert result.returncode == 0, (
            output + (paths / "state" / "dockerd.log").read_text()[-3000:]
        )
        assert "dockerd answers" in output
        pid = int((paths / "state" / "dockerd.pid").read_text())
        info = subprocess.run(
            ["docker", "-H", f"unix://{sock}", "info", "--format", "{{.DockerRootDir}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert info.stdout.strip() == str(paths / "data"), info.stderr
        # Called again, it finds the engine answering and leaves it be.
        again = run(env)
        assert again.returncode == 0 and "starting dockerd" not in again.stdout, again.stdout
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(
                lambda: gone(pid),
                timeout=60,
                what=f"the test's dockerd (pid {pid}) to stop",
            )
