"""Environment -> HubSettings, and the one-line errors that stop the hub."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stellars_hub.contract import CullingPolicy, GpuMode
from stellars_hub.settings import HubSettings, SettingsError, load_settings

KUBERNETES = {
    "JUPYTERHUB_SPAWNER": "kubernetes",
    "STELLARS_HUB_CONNECT_URL": "http://demo-hub:8081",
    "STELLARS_PROXY_API_URL": "http://demo-proxy-api:8001",
    "POD_NAMESPACE": "team-a",
}


def test_defaults_are_the_seeds() -> None:
    settings = load_settings({})

    assert settings == HubSettings(spawner="docker")
    assert settings.admin_user == "admin"
    assert settings.base_url == "/jupyterhub/"
    assert settings.notebook_image == "stellars/stellars-jupyterlab-ds:latest"
    assert settings.network_name == "jupyterhub_network"
    assert settings.gpu_mode is GpuMode.AUTO
    assert settings.ssl is False
    assert settings.services.mlflow and settings.services.glances
    assert settings.services.tensorboard
    assert settings.autodetect_image == "nvidia/cuda:12.9.1-base-ubuntu24.04"
    assert settings.tf_cpp_min_log_level == 3
    assert settings.data_dir == Path("/data")


def test_the_spawner_defaults_to_kubernetes_inside_a_cluster() -> None:
    settings = load_settings({"KUBERNETES_SERVICE_HOST": "10.0.0.1", **KUBERNETES})

    assert settings.spawner == "kubernetes"
    assert settings.namespace == "team-a"
    assert settings.proxy_api_url == "http://demo-proxy-api:8001"
    assert settings.hub_connect_url == "http://demo-hub:8081"
    assert settings.hub_settings_path == Path("/etc/stellars/settings.json")
    assert settings.gpu_settings_path == Path("/etc/stellars/gpu/gpu.json")


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "JUPYTERHUB_SPAWNER": "docker",
            "JUPYTERHUB_ADMIN": "root-of-all",
            "JUPYTERHUB_ADMIN_PASSWORD": "s3cret-pass",
            "JUPYTERHUB_BASE_URL": "/",
            "DOCKER_NOTEBOOK_IMAGE": "stellars/jupyterlab-slim:0.1.0",
            "DOCKER_NETWORK_NAME": "labs",
            "ENABLE_GPU_SUPPORT": "1",
            "ENABLE_JUPYTERHUB_SSL": "1",
            "ENABLE_SERVICE_MLFLOW": "0",
            "ENABLE_SERVICE_GLANCES": "0",
            "ENABLE_SERVICE_TENSORBOARD": "0",
            "NVIDIA_AUTODETECT_IMAGE": "local/cuda-probe:1",
            "NVIDIA_AUTODETECT_TIMEOUT": "15",
            "TF_CPP_MIN_LOG_LEVEL": "1",
            "STELLARS_DATA_DIR": "/srv/state",
            "STELLARS_HUB_CONNECT_URL": "http://hub.internal:8081/",
        }
    )

    assert settings.admin_user == "root-of-all"
    assert settings.admin_password == "s3cret-pass"
    assert settings.base_url == "/"
    assert settings.notebook_image == "stellars/jupyterlab-slim:0.1.0"
    assert settings.network_name == "labs"
    assert settings.gpu_mode is GpuMode.ON
    assert settings.ssl is True
    assert not (settings.services.mlflow or settings.services.glances)
    assert not settings.services.tensorboard
    assert settings.autodetect_image == "local/cuda-probe:1"
    assert settings.autodetect_timeout_s == 15
    assert settings.tf_cpp_min_log_level == 1
    assert settings.data_dir == Path("/srv/state")
    assert settings.hub_connect_url == "http://hub.internal:8081"


def test_the_password_never_shows_in_the_settings_repr() -> None:
    assert "s3cret" not in repr(load_settings({"JUPYTERHUB_ADMIN_PASSWORD": "s3cret"}))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/jupyterhub", "/jupyterhub/"),
        ("/jupyterhub/", "/jupyterhub/"),
        ("/", "/"),
        ("/a/b", "/a/b/"),
    ],
)
def test_the_base_url_gets_one_trailing_slash(given: str, expected: str) -> None:
    assert load_settings({"JUPYTERHUB_BASE_URL": given}).base_url == expected


def test_empty_values_count_as_unset() -> None:
    # Compose .env files write `ENABLE_GPU_SUPPORT=` for "use the default".
    assert load_settings({"ENABLE_GPU_SUPPORT": "", "JUPYTERHUB_BASE_URL": " "}) == load_settings(
        {}
    )


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"ENABLE_GPU_SUPPORT": "yes"},
            "ENABLE_GPU_SUPPORT='yes' is not valid: expected 0 (off), 1 (on) or 2 (auto)",
        ),
        (
            {"JUPYTERHUB_BASE_URL": "jupyterhub"},
            "JUPYTERHUB_BASE_URL='jupyterhub' is not valid: "
            "expected a URL path starting with / (e.g. /jupyterhub)",
        ),
        (
            {"JUPYTERHUB_SPAWNER": "foo"},
            "JUPYTERHUB_SPAWNER='foo' is not valid: expected docker or kubernetes",
        ),
        (
            {"ENABLE_JUPYTERHUB_SSL": "true"},
            "ENABLE_JUPYTERHUB_SSL='true' is not valid: expected 0 (off) or 1 (on)",
        ),
        (
            {"ENABLE_SERVICE_MLFLOW": "2"},
            "ENABLE_SERVICE_MLFLOW='2' is not valid: expected 0 (off) or 1 (on)",
        ),
        (
            {"TF_CPP_MIN_LOG_LEVEL": "9"},
            "TF_CPP_MIN_LOG_LEVEL='9' is not valid: expected 0, 1, 2 or 3",
        ),
        (
            {"JUPYTERHUB_ADMIN": "the admin"},
            "JUPYTERHUB_ADMIN='the admin' is not valid: "
            "expected a user name without spaces, commas or slashes",
        ),
        (
            {"STELLARS_DATA_DIR": "data"},
            "STELLARS_DATA_DIR='data' is not valid: expected an absolute path",
        ),
        (
            {"NVIDIA_AUTODETECT_TIMEOUT": "0"},
            "NVIDIA_AUTODETECT_TIMEOUT='0' is not valid: "
            "expected a whole number of seconds above 0",
        ),
        (
            {"DOCKER_NOTEBOOK_IMAGE": "two words"},
            "DOCKER_NOTEBOOK_IMAGE='two words' is not valid: expected a single word without spaces",
        ),
        (
            {"STELLARS_HUB_CONNECT_URL": "hub:8081"},
            "STELLARS_HUB_CONNECT_URL='hub:8081' is not valid: expected an http:// or https:// URL",
        ),
    ],
)
def test_a_bad_value_names_the_variable_the_value_and_what_it_accepts(
    environment: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environment)

    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "missing", ["STELLARS_HUB_CONNECT_URL", "STELLARS_PROXY_API_URL", "POD_NAMESPACE"]
)
def test_kubernetes_mode_needs_what_the_operator_sets(missing: str) -> None:
    environment = {name: value for name, value in KUBERNETES.items() if name != missing}

    with pytest.raises(SettingsError, match=f"^{missing}='' is not valid: expected"):
        load_settings(environment)


def test_idle_culler_settings_take_the_compose_platforms_names() -> None:
    assert load_settings({}).culling == CullingPolicy(
        enabled=False, timeout=86400, every=600, max_age=0, users=False
    )
    culling = load_settings(
        {
            "IDLE_CULLER_ENABLED": "1",
            "IDLE_CULLER_TIMEOUT": "90",
            "IDLE_CULLER_CULL_EVERY": "15",
            "IDLE_CULLER_MAX_AGE": "3600",
            "IDLE_CULLER_CULL_USERS": "1",
        }
    ).culling
    assert culling == CullingPolicy(enabled=True, timeout=90, every=15, max_age=3600, users=True)


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"IDLE_CULLER_TIMEOUT": "0"}, "IDLE_CULLER_TIMEOUT='0' is not valid"),
        ({"IDLE_CULLER_CULL_EVERY": "1m"}, "IDLE_CULLER_CULL_EVERY='1m' is not valid"),
        ({"IDLE_CULLER_MAX_AGE": "-1"}, "IDLE_CULLER_MAX_AGE='-1' is not valid"),
        ({"IDLE_CULLER_ENABLED": "yes"}, "IDLE_CULLER_ENABLED='yes' is not valid"),
        ({"DOCKER_LAB_MEM_LIMIT": "4GB"}, "DOCKER_LAB_MEM_LIMIT='4GB' is not valid"),
        ({"DOCKER_LAB_MEM_LIMIT": "G"}, "DOCKER_LAB_MEM_LIMIT='G' is not valid"),
        ({"DOCKER_LAB_CPU_LIMIT": "two"}, "DOCKER_LAB_CPU_LIMIT='two' is not valid"),
        ({"DOCKER_LAB_CPU_LIMIT": "-1"}, "DOCKER_LAB_CPU_LIMIT='-1' is not valid"),
        ({"DOCKER_LAB_CPU_LIMIT": "nan"}, "DOCKER_LAB_CPU_LIMIT='nan' is not valid"),
        ({"DOCKER_LAB_PIDS_LIMIT": "1.5"}, "DOCKER_LAB_PIDS_LIMIT='1.5' is not valid"),
    ],
)
def test_bad_culler_and_limit_settings_name_the_variable(
    environment: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(environment)
