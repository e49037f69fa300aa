"""Idle culling as a hub service (stellars_hub.culling): the command, the role, the intervals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from traitlets.config import Config

from stellars_hub.config import configure
from stellars_hub.contract import CullingPolicy, LabSettings
from stellars_hub.culling import (
    activity_environment,
    activity_interval,
    configure_culling,
    culler_command,
)

API = "http://127.0.0.1:8081/jupyterhub/hub/api"
ON = CullingPolicy(enabled=True, timeout=90, every=15, max_age=0)


def test_culling_off_adds_no_service_and_no_role() -> None:
    c = Config()
    configure_culling(c, CullingPolicy(), hub_api_url=API)

    assert "services" not in c.JupyterHub
    assert "load_roles" not in c.JupyterHub
    assert activity_environment(CullingPolicy()) == {}


def test_the_culler_is_a_hub_service_with_only_the_scopes_it_documents() -> None:
    c = Config()
    configure_culling(c, ON, hub_api_url=API)

    [service] = c.JupyterHub.services
    assert service["name"] == "idle-culler"
    assert "admin" not in service and "api_token" not in service
    assert service["command"] == [
        sys.executable,
        "-m",
        "jupyterhub_idle_culler",
        f"--url={API}",
        "--timeout=90",
        "--cull-every=15",
        "--max-age=0",
    ]
    assert c.JupyterHub.load_roles == [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    ]


def test_deleting_users_adds_the_flag_and_admin_users_scope() -> None:
    c = Config()
    policy = CullingPolicy(enabled=True, users=True, max_age=7200)
    configure_culling(c, policy, hub_api_url=API)

    assert culler_command(policy, hub_api_url=API)[-2:] == ["--max-age=7200", "--cull-users=True"]
    assert "admin:users" in c.JupyterHub.load_roles[0]["scopes"]


def test_other_services_and_roles_are_kept() -> None:
    c = Config()
    c.JupyterHub.services = [{"name": "other", "url": "http://other:1"}]
    c.JupyterHub.load_roles = [{"name": "other", "scopes": ["read:users"], "services": ["other"]}]
    configure_culling(c, ON, hub_api_url=API)

    assert [s["name"] for s in c.JupyterHub.services] == ["other", "idle-culler"]
    assert [r["name"] for r in c.JupyterHub.load_roles] == ["other", "idle-culler"]


def test_activity_reaches_the_hub_well_within_the_timeout() -> None:
    # JupyterHub's 5-minute default for a day-long timeout; a third of a short one.
    assert activity_interval(CullingPolicy(enabled=True)) == 300
    assert activity_interval(ON) == 30
    assert activity_interval(CullingPolicy(enabled=True, timeout=2)) == 1
    assert activity_environment(ON) == {"JUPYTERHUB_ACTIVITY_INTERVAL": "30"}
    c = Config()
    configure_culling(c, ON, hub_api_url=API)
    assert c.JupyterHub.last_activity_interval == 30


def test_the_compose_hub_runs_the_culler_and_its_labs_report_often_enough(tmp_path: Path) -> None:
    c = Config()
    configure(
        c,
        {
            "JUPYTERHUB_SPAWNER": "docker",
            "ENABLE_GPU_SUPPORT": "0",
            "STELLARS_DATA_DIR": str(tmp_path),
            "IDLE_CULLER_ENABLED": "1",
            "IDLE_CULLER_TIMEOUT": "90",
        },
    )

    [service] = c.JupyterHub.services
    assert f"--url={API}" in service["command"]
    assert "--timeout=90" in service["command"]
    assert c.DockerSpawner.environment["JUPYTERHUB_ACTIVITY_INTERVAL"] == "30"
    assert c.JupyterHub.default_url == "/jupyterhub/hub/home"


def test_the_kubernetes_hub_takes_culling_from_settings_json(tmp_path: Path) -> None:
    settings_file = tmp_path / "settings.json"
    lab = LabSettings(
        hub_name="demo",
        notebook_image="lab:1",
        user_service_account="demo-user",
        culling=CullingPolicy(enabled=True, timeout=600, every=60, users=True),
    )
    settings_file.write_text(json.dumps(lab.to_json()))
    c = Config()
    configure(
        c,
        {
            "KUBERNETES_SERVICE_HOST": "10.96.0.1",
            "STELLARS_HUB_SETTINGS": str(settings_file),
            "STELLARS_HUB_CONNECT_URL": "http://demo-hub:8081",
            "STELLARS_PROXY_API_URL": "http://demo-proxy-api:8001",
            "POD_NAMESPACE": "team-a",
            "STELLARS_DATA_DIR": str(tmp_path),
        },
    )

    [service] = c.JupyterHub.services
    assert service["command"][-4:] == [
        "--timeout=600",
        "--cull-every=60",
        "--max-age=0",
        "--cull-users=True",
    ]
    assert "admin:users" in c.JupyterHub.load_roles[0]["scopes"]
    assert c.KubeSpawner.environment["JUPYTERHUB_ACTIVITY_INTERVAL"] == "200"
