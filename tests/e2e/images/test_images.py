"""The images `make images` builds run, hold what they promise, run as non-root, and carry no
build-time CA bundle (real Docker engine; the images must have been built first)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.fixtures.images import base_image

ROOT = Path(__file__).resolve().parents[3]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
HUB = f"stellars/stellars-jupyterhub-ds:{VERSION}"
OPERATOR = f"stellars/stellars-operator:{VERSION}"
LAB = f"stellars/jupyterlab-slim:{VERSION}"
DS_LAB = f"stellars/jupyterlab-ds:{VERSION}"

pytestmark = pytest.mark.docker


def run_in(image: str, *command: str, entrypoint: str | None = None) -> str:
    args = ["docker", "run", "--rm", "--network", "none"]
    if entrypoint is not None:
        args += ["--entrypoint", entrypoint]
    result = subprocess.run(
        [*args, image, *command], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{image} {command}: {result.stderr[-2000:]}"
    return result.stdout.strip()


@pytest.fixture(scope="module", autouse=True)
def _images_present(docker_engine: None) -> None:
    for image in (HUB, OPERATOR, LAB, DS_LAB):
        inspect = subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, check=False
        )
        assert inspect.returncode == 0, f"{image} is missing: run `make images` first"


def test_hub_image_runs_the_pinned_jupyterhub_and_proxy() -> None:
    assert run_in(HUB, "jupyterhub", "--version", entrypoint="") == "5.5.4"
    assert re.fullmatch(
        r"4\.6\.\d+", run_in(HUB, "configurable-http-proxy", "--version", entrypoint="")
    )


def test_hub_image_holds_both_spawners_the_authenticator_and_our_package() -> None:
    script = (
        "import dockerspawner, kubespawner, nativeauthenticator, stellars_hub;"
        "from importlib.metadata import version as v;"
        "print(v('dockerspawner'), v('jupyterhub-kubespawner'),"
        " v('jupyterhub-nativeauthenticator'))"
    )
    assert run_in(HUB, "python3", "-c", script, entrypoint="") == "14.0.0 7.1.0 1.3.0"


def test_operator_image_runs_the_operator_module() -> None:
    assert "--namespace" in run_in(OPERATOR, "--help")
    assert run_in(
        OPERATOR,
        "-c",
        "import kopf; print(kopf.__version__ if hasattr(kopf, '__version__') else 'ok')",
        entrypoint="python3",
    )


def test_lab_image_is_a_singleuser_server_for_user_lab() -> None:
    assert run_in(LAB, "jupyterhub-singleuser", "--version") == "5.5.4"
    assert run_in(LAB, "id", "-un") == "lab"
    assert run_in(LAB, "id", "-u") == "1000"
    assert run_in(LAB, "pwd") == "/home/lab/workspace"
    assert run_in(LAB, "sh", "-c", "echo $HOME") == "/home/lab"


@pytest.mark.parametrize("image", [HUB, OPERATOR, LAB, DS_LAB])
def test_images_run_as_non_root(image: str) -> None:
    assert run_in(image, "id", "-u", entrypoint="") != "0"


def _pem_blocks(text: str) -> set[str]:
    return set(re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", text, re.S))


@pytest.mark.parametrize("image", [HUB, OPERATOR, LAB, DS_LAB])
def test_build_time_ca_bundle_never_reaches_a_final_image(image: str) -> None:
    assert (
        run_in(image, "sh", "-c", "test ! -e /tmp/build-ca && echo absent", entrypoint="")
        == "absent"
    )
    host_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    image_bundle = run_in(
        image,
        "sh",
        "-c",
        "cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true",
        entrypoint="",
    )
    base = base_image()
    debian_bundle = run_in(base, "sh", "-c", "cat /etc/ssl/certs/ca-certificates.crt")
    # Certificates the host trusts beyond Debian's own set (such as a build proxy's CA) must
    # not be trusted inside the image.
    host_only = _pem_blocks(host_bundle.read_text()) - _pem_blocks(debian_bundle)
    assert not (host_only & _pem_blocks(image_bundle))
