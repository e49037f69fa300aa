"""jupyterhub_config.py and `configure`: both paths, and the clean stop on a bad setting."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from stellars_hub.config import configure
from stellars_hub.docker_spawner import StellarsDockerSpawner
from stellars_hub.kube_spawner import StellarsKubeSpawner

CONFIG_FILE = Path(__file__).resolve().parents[3] / "hub_config" / "jupyterhub_config.py"
HUB_ENV = (
    "JUPYTERHUB_SPAWNER",
    "KUBERNETES_SERVICE_HOST",
    "ENABLE_GPU_SUPPORT",
    "ENABLE_JUPYTERHUB_SSL",
    "JUPYTERHUB_BASE_URL",
)


def load_config_file(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Config:
    """Run jupyterhub_config.py the way JupyterHub does: get_config() in its namespace."""
    for name in HUB_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    c = Config()
    runpy.run_path(str(CONFIG_FILE), init_globals={"get_config": lambda: c})
    return c


def test_the_config_file_configures_the_docker_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = load_config_file(
        {
            "JUPYTERHUB_SPAWNER": "docker",
            "ENABLE_GPU_SUPPORT": "0",
            "STELLARS_DATA_DIR": str(tmp_path),
        },
        monkeypatch,
    )

    assert c.JupyterHub.spawner_class is StellarsDockerSpawner
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path}/jupyterhub.sqlite"
    assert c.JupyterHub.cookie_secret_file == f"{tmp_path}/jupyterhub_cookie_secret"
    assert c.JupyterHub.base_url == "/jupyterhub/"
    assert c.JupyterHub.cleanup_servers is False
    assert c.JupyterHub.hub_bind_url == "http://0.0.0.0:8081"
    assert "ssl_cert" not in c.JupyterHub
    assert c.DockerSpawner.environment["ENABLE_GPU_SUPPORT"] == "0"


def test_the_config_file_configures_the_kubernetes_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file = tmp_path / "settings.json"
    settings_file.write_text(
        json.dumps(
            {
                "hubName": "demo",
                "notebookImage": "lab:1",
                "userServiceAccount": "demo-user",
                "signup": {"enabled": True, "openSignup": False, "minimumPasswordLength": 8},
            }
        )
    )

    c = load_config_file(
        {
            "KUBERNETES_SERVICE_HOST": "10.96.0.1",
            "STELLARS_HUB_SETTINGS": str(settings_file),
            "STELLARS_HUB_CONNECT_URL": "http://demo-hub:8081",
            "STELLARS_PROXY_API_URL": "http://demo-proxy-api:8001",
            "POD_NAMESPACE": "team-a",
            "STELLARS_DATA_DIR": str(tmp_path),
        },
        monkeypatch,
    )

    assert c.JupyterHub.spawner_class is StellarsKubeSpawner
    assert c.KubeSpawner.namespace == "team-a"
    assert c.KubeSpawner.pod_name_template == "demo-jupyter-{username}"
    assert c.ConfigurableHTTPProxy.should_start is False
    # Bind on every interface; the Service name is only how labs connect (binding to it fails).
    assert c.JupyterHub.hub_bind_url == "http://0.0.0.0:8081"
    assert c.JupyterHub.hub_connect_url.startswith("http://demo-hub:8081")
    assert c.JupyterHub.cleanup_servers is False
    assert c.NativeAuthenticator.minimum_password_length == 8


def test_ssl_uses_the_provisioned_certificate(tmp_path: Path) -> None:
    c = Config()

    configure(
        c,
        {
            "ENABLE_JUPYTERHUB_SSL": "1",
            "ENABLE_GPU_SUPPORT": "0",
            "STELLARS_DATA_DIR": str(tmp_path),
        },
    )

    assert c.JupyterHub.ssl_cert == "/mnt/certs/server.crt"
    assert c.JupyterHub.ssl_key == "/mnt/certs/server.key"


def test_a_bad_setting_exits_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        load_config_file({"ENABLE_GPU_SUPPORT": "yes"}, monkeypatch)

    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "stellars-hub: configuration error: ENABLE_GPU_SUPPORT='yes' is not valid: "
        "expected 0 (off), 1 (on) or 2 (auto)\n"
    )


def test_a_missing_settings_file_in_kubernetes_exits_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        load_config_file(
            {
                "JUPYTERHUB_SPAWNER": "kubernetes",
                "STELLARS_HUB_SETTINGS": str(tmp_path / "settings.json"),
                "STELLARS_HUB_CONNECT_URL": "http://demo-hub:8081",
                "STELLARS_PROXY_API_URL": "http://demo-proxy-api:8001",
                "POD_NAMESPACE": "team-a",
            },
            monkeypatch,
        )

    assert f"{tmp_path}/settings.json: cannot be read" in capsys.readouterr().err


def test_jupyterhub_itself_stops_at_start_up_without_a_traceback(tmp_path: Path) -> None:
    jupyterhub = Path(sys.executable).with_name("jupyterhub")

    result = subprocess.run(
        [str(jupyterhub), "-f", str(CONFIG_FILE)],
        env={"PATH": str(jupyterhub.parent), "JUPYTERHUB_SPAWNER": "foo"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "stellars-hub: configuration error: JUPYTERHUB_SPAWNER='foo' is not valid: "
        "expected docker or kubernetes"
    ]
    assert "Traceback" not in result.stdout + result.stderr
