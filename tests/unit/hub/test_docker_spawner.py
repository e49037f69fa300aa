"""DockerSpawner configuration: the seed's names, volumes, environment and GPU passthrough."""

from __future__ import annotations

import asyncio
import socket
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest
from traitlets.config import Config

from stellars_hub.contract import GpuPlacement
from stellars_hub.docker_spawner import (
    LabImageUnavailableError,
    StellarsDockerSpawner,
    configure_docker,
    confinement,
    docker_spawner_traits,
    shm_size,
    wait_until_listening,
)
from stellars_hub.names import safe_name
from stellars_hub.settings import LabLimits, load_settings
from stellars_hub.volume_owner import ACCOUNT_KEY, OWNER_KEY, VolumeRefusedError

SETTINGS = load_settings({"JUPYTERHUB_SPAWNER": "docker", "DOCKER_NETWORK_NAME": "labs-net"})
NO_GPU = GpuPlacement.disabled("off")
PROBED_GPU = GpuPlacement(enabled=True, reason="1 GPU(s): NVIDIA H200")
TRUSTED_GPU = GpuPlacement(enabled=True, trusted=True, reason="on, trusted")


def test_containers_and_volumes_have_the_seeds_names() -> None:
    traits = docker_spawner_traits(SETTINGS, gpu=NO_GPU)

    assert traits["name_template"] == "jupyterlab-{username}"
    assert traits["escape"] is safe_name
    assert traits["volumes"] == {
        "jupyterlab-{username}_home": "/home",
        "jupyterlab-{username}_workspace": "/home/lab/workspace",
        "jupyterlab-{username}_cache": "/home/lab/.cache",
        "jupyterhub_shared": "/mnt/shared",
    }
    assert traits["network_name"] == "labs-net"
    assert traits["use_internal_ip"] is True
    assert traits["remove"] is True
    assert traits["notebook_dir"] == "/home/lab/workspace"
    assert traits["extra_create_kwargs"] == {"working_dir": "/home/lab/workspace"}
    assert traits["image"] == "stellars/stellars-jupyterlab-ds:latest"


def test_without_gpu_labs_see_no_device_and_the_flags_say_so() -> None:
    traits = docker_spawner_traits(SETTINGS, gpu=NO_GPU)

    # Only the confinement every lab gets; no device request.
    assert traits["extra_host_config"] == {
        **confinement(SETTINGS.lab_limits),
        "shm_size": shm_size(SETTINGS),
    }
    assert traits["environment"] == {
        "ENABLE_SERVICE_MLFLOW": "1",
        "ENABLE_SERVICE_GLANCES": "1",
        "ENABLE_SERVICE_TENSORBOARD": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "ENABLE_GPU_SUPPORT": "0",
        "NVIDIA_DETECTED": "0",
        "NVIDIA_VISIBLE_DEVICES": "void",
    }


@pytest.mark.parametrize(("gpu", "detected"), [(PROBED_GPU, "1"), (TRUSTED_GPU, "0")])
def test_with_gpu_labs_get_every_gpu(gpu: GpuPlacement, detected: str) -> None:
    traits = docker_spawner_traits(SETTINGS, gpu=gpu)

    [request] = traits["extra_host_config"]["device_requests"]
    assert (request["Count"], request["Capabilities"]) == (-1, [["gpu"]])
    assert traits["environment"]["ENABLE_GPU_SUPPORT"] == "1"
    assert traits["environment"]["NVIDIA_DETECTED"] == detected
    assert "NVIDIA_VISIBLE_DEVICES" not in traits["environment"]


def test_service_toggles_reach_the_labs() -> None:
    settings = load_settings({"ENABLE_SERVICE_GLANCES": "0", "TF_CPP_MIN_LOG_LEVEL": "0"})

    environment = docker_spawner_traits(settings, gpu=NO_GPU)["environment"]

    assert environment["ENABLE_SERVICE_GLANCES"] == "0"
    assert environment["TF_CPP_MIN_LOG_LEVEL"] == "0"


def test_configure_docker_sets_the_spawner_and_the_hub_address() -> None:
    c = Config()

    configure_docker(c, SETTINGS, gpu=NO_GPU)

    assert c.JupyterHub.spawner_class is StellarsDockerSpawner
    assert c.JupyterHub.hub_connect_url == "http://jupyterhub:8081"
    assert c.DockerSpawner.network_name == "labs-net"
    spawner = StellarsDockerSpawner(config=c, user=SimpleNamespace(name="Bob.Smith"))
    name = safe_name("Bob.Smith")
    assert spawner.object_name == f"jupyterlab-{name}"
    assert spawner.volume_binds[f"jupyterlab-{name}_home"] == {"bind": "/home", "mode": "rw"}
    assert spawner.volume_binds["jupyterhub_shared"]["bind"] == "/mnt/shared"
    assert spawner.remove is True


def test_a_missing_image_fails_the_spawn_with_a_message_and_creates_nothing() -> None:
    spawner = StellarsDockerSpawner(pull_policy="ifnotpresent")
    calls: list[str] = []

    async def docker_call(method: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(method)
        if method == "inspect_image":
            raise docker.errors.ImageNotFound("404", explanation="No such image: lab:1")
        raise docker.errors.NotFound("404", explanation="pull access denied for lab")

    spawner.docker = docker_call

    with pytest.raises(LabImageUnavailableError) as caught:
        asyncio.run(spawner.pull_image("lab:1"))
    asyncio.run(spawner.stop())

    assert caught.value.jupyterhub_message == (
        "The lab image lab:1 is not available on this host and could not be pulled "
        "(pull access denied for lab). Please tell the administrator."
    )
    assert calls == ["inspect_image", "pull"]  # stop() asked Docker nothing


def test_labs_are_confined_by_default() -> None:
    traits = docker_spawner_traits(SETTINGS, gpu=NO_GPU)

    assert traits["mem_limit"] == 4 * 1024**3
    assert traits["cpu_limit"] == 2.0
    assert traits["extra_host_config"] == {
        "security_opt": ["no-new-privileges"],
        "cap_drop": ["ALL"],
        "memswap_limit": 4 * 1024**3,
        "pids_limit": 4096,
        # /dev/shm: half the memory limit unless DOCKER_LAB_SHM_SIZE says otherwise.
        "shm_size": 2 * 1024**3,
    }


def test_lab_limits_come_from_the_environment_and_zero_means_none() -> None:
    small = load_settings(
        {
            "DOCKER_LAB_MEM_LIMIT": "512m",
            "DOCKER_LAB_CPU_LIMIT": "0.5",
            "DOCKER_LAB_PIDS_LIMIT": "64",
        }
    )
    unbounded = load_settings(
        {"DOCKER_LAB_MEM_LIMIT": "0", "DOCKER_LAB_CPU_LIMIT": "0", "DOCKER_LAB_PIDS_LIMIT": "0"}
    )

    assert small.lab_limits == LabLimits(memory_bytes=512 * 1024**2, cpus=0.5, pids=64)
    traits = docker_spawner_traits(unbounded, gpu=PROBED_GPU)
    assert (traits["mem_limit"], traits["cpu_limit"]) == (None, None)
    host_config = traits["extra_host_config"]
    assert "memswap_limit" not in host_config and "pids_limit" not in host_config
    # Privileges stay dropped whatever the limits, and the GPU request sits beside them.
    assert host_config["cap_drop"] == ["ALL"]
    assert host_config["security_opt"] == ["no-new-privileges"]
    assert host_config["device_requests"]


def test_wait_until_listening_returns_once_the_lab_listens() -> None:
    async def scenario() -> tuple[bool, float]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        loop = asyncio.get_running_loop()
        started = loop.time()
        servers = []

        async def listen_later() -> None:
            await asyncio.sleep(0.5)
            servers.append(await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port))

        task = asyncio.create_task(listen_later())
        listening = await wait_until_listening("127.0.0.1", port, timeout_s=10)
        await task
        servers[0].close()
        return listening, loop.time() - started

    listening, _ = asyncio.run(scenario())
    assert listening


def test_wait_until_listening_gives_up_at_its_timeout() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert asyncio.run(wait_until_listening("127.0.0.1", port, timeout_s=0.3)) is False


def test_user_volumes_are_made_stamped_and_a_foreign_one_is_refused(tmp_path: Path) -> None:
    c = Config()
    configure_docker(c, SETTINGS, gpu=NO_GPU)
    created = datetime(2026, 1, 2, 3, 4, 5)
    user = SimpleNamespace(name="bob", orm_user=SimpleNamespace(created=created))
    spawner = StellarsDockerSpawner(config=c, user=user)
    spawner.volume_record_file = str(tmp_path / "volume-owners.json")
    volumes: dict[str, dict[str, Any]] = {
        "jupyterlab-bob_workspace": {"Labels": {OWNER_KEY: "bob", ACCOUNT_KEY: "x"}}
    }

    async def fake_docker(method: str, *args: Any, **kwargs: Any) -> Any:
        if method == "inspect_volume":
            if args[0] not in volumes:
                raise docker.errors.NotFound("no such volume")
            return volumes[args[0]]
        assert method == "create_volume"
        volumes[kwargs["name"]] = {"Labels": kwargs["labels"]}
        return volumes[kwargs["name"]]

    spawner.docker = fake_docker
    with pytest.raises(VolumeRefusedError, match="jupyterlab-bob_workspace was not mounted"):
        asyncio.run(spawner.ensure_user_volumes())
    # Home was checked first and made, stamped; nothing after the refused one.
    assert volumes["jupyterlab-bob_home"]["Labels"][OWNER_KEY] == "bob"
    assert "jupyterlab-bob_cache" not in volumes
    volumes["jupyterlab-bob_workspace"] = dict(volumes["jupyterlab-bob_home"])
    asyncio.run(spawner.ensure_user_volumes())
    assert volumes["jupyterlab-bob_cache"] == volumes["jupyterlab-bob_home"]
