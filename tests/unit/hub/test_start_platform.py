"""The hub's entry point and its certificate step, run as the image runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

HUB_CONFIG = Path(__file__).resolve().parents[3] / "hub_config"
START = HUB_CONFIG / "bin" / "start-platform.sh"
CERTIFICATES = HUB_CONFIG / "start-platform.d" / "10-certificates.sh"


def write_script(path: Path, body: str, *, executable: bool = True) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755 if executable else 0o644)


def run_start(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    write_script(bin_dir / "jupyterhub", 'echo "jupyterhub $*"')
    return subprocess.run(
        [str(START), *args],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "STELLARS_START_DIR": str(tmp_path / "steps")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_steps_run_in_order_then_jupyterhub_gets_the_arguments(tmp_path: Path) -> None:
    steps = tmp_path / "steps"
    steps.mkdir()
    write_script(steps / "20-second.sh", "echo second")
    write_script(steps / "10-first.sh", "echo first")
    write_script(steps / "15-not-executable.sh", "echo never", executable=False)

    result = run_start(tmp_path, "--debug")

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("start-platform")]
    assert lines == [
        "first",
        "second",
        "jupyterhub -f /srv/jupyterhub/jupyterhub_config.py --debug",
    ]


def test_a_failing_step_stops_the_start_naming_it(tmp_path: Path) -> None:
    steps = tmp_path / "steps"
    steps.mkdir()
    write_script(steps / "10-broken.sh", "exit 3")
    write_script(steps / "20-after.sh", "echo after")

    result = run_start(tmp_path)

    assert result.returncode == 1
    assert "10-broken.sh failed" in result.stderr
    assert "after" not in result.stdout
    assert "jupyterhub" not in result.stdout.replace("start-platform", "")


def run_certificates(certs: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CERTIFICATES)],
        env={"PATH": os.environ["PATH"], "STELLARS_CERTS_DIR": str(certs), **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_self_signed_certificate_and_traefiks_config_are_provisioned(tmp_path: Path) -> None:
    result = run_certificates(tmp_path, JUPYTERHUB_HOSTNAME="hub.example.org")

    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / "server.crt"), "-noout", "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CN = hub.example.org" in text
    assert "DNS:hub.example.org" in text and "DNS:localhost" in text
    assert (tmp_path / "server.key").stat().st_mode & 0o077 == 0
    traefik = (tmp_path / "certs.yml").read_text()
    assert f"certFile: {tmp_path}/server.crt" in traefik
    assert f"keyFile: {tmp_path}/server.key" in traefik
    assert "defaultCertificate:" in traefik


def test_an_existing_certificate_is_kept(tmp_path: Path) -> None:
    assert run_certificates(tmp_path).returncode == 0
    before = (tmp_path / "server.crt").read_bytes()

    again = run_certificates(tmp_path, JUPYTERHUB_HOSTNAME="other.example.org")

    assert again.returncode == 0
    assert "kept" in again.stdout
    assert (tmp_path / "server.crt").read_bytes() == before


def test_without_a_certificate_volume_the_step_is_skipped(tmp_path: Path) -> None:
    result = run_certificates(tmp_path / "absent")

    assert result.returncode == 0
    assert "skipped" in result.stdout
    assert not (tmp_path / "absent").exists()


def test_kubernetes_mode_needs_no_certificate(tmp_path: Path) -> None:
    result = run_certificates(tmp_path, KUBERNETES_SERVICE_HOST="10.96.0.1")

    assert result.returncode == 0
    assert "skipped" in result.stdout
    assert list(tmp_path.iterdir()) == []
