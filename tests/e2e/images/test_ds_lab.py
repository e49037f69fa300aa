"""The data-science lab (images/lab) on the real Docker engine: its libraries import, and its
Jupyter server starts MLflow on demand behind jupyter-server-proxy only when
ENABLE_SERVICE_MLFLOW=1. The lab runs without a network, as a user's lab does apart from its hub."""

from __future__ import annotations

import json
import secrets
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.docker import docker
from tests.fixtures.polling import wait_for

ROOT = Path(__file__).resolve().parents[3]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
DS_LAB = f"stellars/jupyterlab-ds:{VERSION}"
TOKEN = "ds-lab-test-token"
# A lab's first start on a busy 2-core machine, and MLflow's (it is started on demand).
LAB_START_S, MLFLOW_START_S = 90, 150

pytestmark = pytest.mark.docker

# Asks the lab's own server from inside the container: status, then body, of GET argv[1].
GET = f"""
import sys, urllib.request, urllib.error
req = urllib.request.Request("http://127.0.0.1:8888" + sys.argv[1],
                             headers={{"Authorization": "token {TOKEN}"}})
try:
    with urllib.request.urlopen(req, timeout=60) as r: print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e: print(e.code); print(e.read().decode()[:2000])
"""


def test_the_libraries_import_at_their_pinned_versions(docker_engine: None) -> None:
    pins = dict(
        line.split("==")
        for line in (ROOT / "images" / "lab" / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    script = (
        "import json, numpy, pandas, sklearn, matplotlib, mlflow, tensorboard, glances;"
        "import jupyterlab, jupyter_server_proxy;"
        "from importlib.metadata import version as v;"
        "print(json.dumps({n: v(n) for n in ('numpy', 'pandas', 'scikit-learn', 'matplotlib',"
        " 'mlflow', 'tensorboard', 'jupyterlab', 'jupyter-server-proxy', 'jupyterhub')}))"
    )
    out = docker("run", "--rm", "--network", "none", DS_LAB, "python3", "-c", script).stdout
    versions = json.loads(out)
    assert versions == {name: pins[name] for name in versions}
    assert docker("run", "--rm", DS_LAB, "id", "-un").stdout.strip() == "lab"


class Lab:
    """A running lab container with a token, reached from inside itself."""

    def __init__(self, **env: str) -> None:
        self.name = f"stellars-ds-lab-{secrets.token_hex(3)}"
        flags = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        docker(
            "run", "-d", "--name", self.name, "--network", "none", *flags, DS_LAB,
            "jupyter", "lab", "--ip=127.0.0.1", "--port=8888", "--no-browser",
            f"--IdentityProvider.token={TOKEN}",
        )  # fmt: skip

    def get(self, path: str, timeout: float = 120) -> tuple[int, str]:
        result = docker("exec", self.name, "python3", "-c", GET, path, timeout=timeout)
        status, _, body = result.stdout.partition("\n")
        return int(status), body

    def wait_until_up(self) -> None:
        def answers() -> bool:
            probe = docker("exec", self.name, "python3", "-c", GET, "/api/status", check=False)
            return probe.stdout.startswith("200")

        wait_for(answers, timeout=LAB_START_S, interval=1, what=f"{self.name} to answer")

    def remove(self) -> None:
        docker("rm", "-f", self.name, check=False)


@pytest.fixture
def lab_factory(docker_engine: None) -> Iterator[type[Lab]]:
    labs: list[Lab] = []

    class Started(Lab):
        def __init__(self, **env: str) -> None:
            super().__init__(**env)
            labs.append(self)
            self.wait_until_up()

    try:
        yield Started
    finally:
        for lab in labs:
            lab.remove()


def test_mlflow_starts_on_demand_behind_the_proxy_only_when_turned_on(
    lab_factory: type[Lab],
) -> None:
    on = lab_factory(ENABLE_SERVICE_MLFLOW="1", ENABLE_SERVICE_TENSORBOARD="0")
    status, servers = on.get("/server-proxy/servers-info")
    assert status == 200
    assert [s["name"] for s in json.loads(servers)["server_processes"]] == ["mlflow"]
    # Nothing listens before someone opens it: MLflow is started by this request.
    status, page = on.get("/mlflow/", timeout=MLFLOW_START_S + 30)
    assert status == 200, page
    assert "<title>MLflow</title>" in page
    # Its API answers under the same prefix, as the UI's own requests do.
    status, body = on.get("/mlflow/ajax-api/2.0/mlflow/experiments/search?max_results=5")
    assert status == 200, body
    assert "Default" in body
    # Bound to the lab's loopback only (no other container can reach it directly).
    listening = docker("exec", on.name, "sh", "-c", "cat /proc/net/tcp").stdout
    local = [line.split()[1] for line in listening.splitlines()[1:] if line.split()[3] == "0A"]
    assert local and all(address.startswith("0100007F:") for address in local), local

    off = lab_factory(ENABLE_SERVICE_MLFLOW="0")
    status, servers = off.get("/server-proxy/servers-info")
    assert json.loads(servers)["server_processes"] == []
    assert off.get("/mlflow/")[0] == 404


def test_the_entry_point_runs_any_command_as_user_lab(docker_engine: None) -> None:
    result = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-e", "ENABLE_SERVICE_MLFLOW=1", DS_LAB,
         "sh", "-c", 'echo "$MLFLOW_TRACKING_URI"; test -d "$HOME/.mlflow/artifacts" && echo ok'],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sqlite:////home/lab/.mlflow/mlflow.db", "ok"]
