"""/dev/shm and extra volumes of labs, on both paths (kube_spawner_config.py, docker_spawner.py)."""

from __future__ import annotations

import pytest

from stellars_hub.contract import LabSettings
from stellars_hub.docker_spawner import docker_volumes, shm_size
from stellars_hub.kube_spawner_config import kube_spawner_traits
from stellars_hub.settings import LabVolume, SettingsError, load_settings

KUBE = load_settings(
    {
        "JUPYTERHUB_SPAWNER": "kubernetes",
        "STELLARS_HUB_CONNECT_URL": "http://demo-hub:8081",
        "STELLARS_PROXY_API_URL": "http://demo-proxy-api:8001",
        "POD_NAMESPACE": "team-a",
    }
)
DATASET = {"name": "datasets", "persistentVolumeClaim": {"claimName": "ds", "readOnly": True}}


def _lab(**fields: object) -> LabSettings:
    return LabSettings(hub_name="demo", notebook_image="lab", user_service_account="u", **fields)  # type: ignore[arg-type]


def test_kubernetes_labs_get_a_sized_memory_backed_dev_shm() -> None:
    traits = kube_spawner_traits(KUBE, _lab(shm_size="512Mi"))
    assert {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "512Mi"}} in traits[
        "volumes"
    ]
    assert {"name": "shm", "mountPath": "/dev/shm"} in traits["volume_mounts"]


def test_kubernetes_extra_volumes_follow_the_labs_own() -> None:
    mount = {"name": "datasets", "mountPath": "/mnt/datasets", "readOnly": True}
    traits = kube_spawner_traits(KUBE, _lab(extra_volumes=(DATASET,), extra_volume_mounts=(mount,)))
    assert traits["volumes"][-1] == DATASET
    assert traits["volume_mounts"][-1] == mount
    assert [v["name"] for v in traits["volumes"][:3]] == ["home", "workspace", "cache"]


def test_docker_shm_is_the_setting_else_half_the_memory_limit() -> None:
    docker = {"JUPYTERHUB_SPAWNER": "docker"}
    assert shm_size(load_settings({**docker, "DOCKER_LAB_SHM_SIZE": "512M"})) == 512 * 1024**2
    assert shm_size(load_settings({**docker, "DOCKER_LAB_MEM_LIMIT": "2G"})) == 1024**3
    assert shm_size(load_settings({**docker, "DOCKER_LAB_MEM_LIMIT": "0"})) == 1024**3


def test_docker_extra_volumes_are_a_documented_list() -> None:
    settings = load_settings(
        {
            "JUPYTERHUB_SPAWNER": "docker",
            "DOCKER_LAB_EXTRA_VOLUMES": "datasets:/mnt/datasets:ro, /srv/models:/mnt/models",
        }
    )
    assert settings.lab_extra_volumes == (
        LabVolume(source="datasets", target="/mnt/datasets", read_only=True),
        LabVolume(source="/srv/models", target="/mnt/models", read_only=False),
    )
    volumes = docker_volumes(settings.lab_extra_volumes)
    assert volumes["datasets"] == {"bind": "/mnt/datasets", "mode": "ro"}
    assert volumes["/srv/models"] == {"bind": "/mnt/models", "mode": "rw"}
    assert volumes["jupyterhub_shared"] == "/mnt/shared"


@pytest.mark.parametrize(
    "value",
    ["datasets", "datasets:relative", "d:/mnt/d:rx", "d:/home/lab/workspace/x", "d:/dev/shm"],
)
def test_bad_docker_extra_volumes_name_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="DOCKER_LAB_EXTRA_VOLUMES"):
        load_settings({"JUPYTERHUB_SPAWNER": "docker", "DOCKER_LAB_EXTRA_VOLUMES": value})


def test_a_bad_docker_shm_size_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="DOCKER_LAB_SHM_SIZE"):
        load_settings({"JUPYTERHUB_SPAWNER": "docker", "DOCKER_LAB_SHM_SIZE": "lots"})
