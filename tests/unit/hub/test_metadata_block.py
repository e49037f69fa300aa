"""The lab's route to nowhere for 169.254.169.254 (stellars_hub.metadata_block), against a
recording stand-in for DockerSpawner.docker; the real route is proven in
tests/e2e/compose/test_lab_metadata_block.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from traitlets.config import Config

from stellars_hub.contract import GpuPlacement
from stellars_hub.docker_spawner import StellarsDockerSpawner, configure_docker
from stellars_hub.metadata_block import MetadataBlockError, block_metadata
from stellars_hub.settings import load_settings


class RecordingDocker:
    """docker-py APIClient calls as DockerSpawner.docker makes them; `wait` answers `exit_code`."""

    def __init__(self, exit_code: int = 0) -> None:
        self.exit_code = exit_code
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((method, args, kwargs))
        answers = {
            "create_container": {"Id": "helper1"},
            "wait": {"StatusCode": self.exit_code},
            "logs": b"RTNETLINK answers: Operation not permitted\n",
        }
        return answers.get(method)

    def methods(self) -> list[str]:
        return [method for method, _, _ in self.calls]


def test_the_helper_adds_a_prohibit_route_in_the_labs_namespace_and_goes() -> None:
    docker = RecordingDocker()
    asyncio.run(block_metadata(docker, lab_container_id="lab1", image="hub:1"))

    assert docker.methods() == ["create_container", "start", "wait", "remove_container"]
    _, _, create = docker.calls[0]
    assert create["image"] == "hub:1"
    assert [*create["entrypoint"], *create["command"]] == [
        "ip",
        "route",
        "add",
        "prohibit",
        "169.254.169.254/32",
    ]
    assert create["user"] == "0"
    assert create["host_config"] == {
        "NetworkMode": "container:lab1",
        "CapDrop": ["ALL"],
        "CapAdd": ["NET_ADMIN"],
        "SecurityOpt": ["no-new-privileges"],
    }
    assert docker.calls[-1][1:] == (("helper1",), {"force": True})


def test_a_failed_route_is_an_error_the_user_reads_and_the_helper_still_goes() -> None:
    docker = RecordingDocker(exit_code=2)
    with pytest.raises(MetadataBlockError, match="Operation not permitted") as raised:
        asyncio.run(block_metadata(docker, lab_container_id="lab1", image="hub:1"))

    assert "administrator" in raised.value.jupyterhub_message
    assert docker.methods()[-1] == "remove_container"


@pytest.mark.parametrize(("flag", "blocked"), [("", True), ("1", True), ("0", False)])
def test_the_switch_reaches_the_spawner(flag: str, blocked: bool) -> None:
    c = Config()
    settings = load_settings(
        {
            "DOCKER_LAB_BLOCK_METADATA": flag,
            "STELLARS_HUB_IMAGE": "hub:2",
            "ENABLE_GPU_SUPPORT": "0",
        }
    )
    configure_docker(c, settings, gpu=GpuPlacement.disabled("off"))

    assert c.StellarsDockerSpawner.isolate_from_metadata is blocked
    assert c.StellarsDockerSpawner.metadata_helper_image == "hub:2"


def spawner_starting(docker: RecordingDocker, *, blocked: bool) -> StellarsDockerSpawner:
    spawner = StellarsDockerSpawner(
        isolate_from_metadata=blocked, metadata_helper_image="hub:3", object_id="lab9"
    )
    spawner.docker = docker
    return spawner


def test_the_spawner_blocks_right_after_docker_start() -> None:
    docker = RecordingDocker()
    asyncio.run(spawner_starting(docker, blocked=True).start_object())

    assert docker.methods()[:2] == ["start", "create_container"]
    assert docker.calls[1][2]["host_config"]["NetworkMode"] == "container:lab9"


def test_a_lab_that_cannot_be_blocked_is_stopped() -> None:
    docker = RecordingDocker(exit_code=1)
    with pytest.raises(MetadataBlockError):
        asyncio.run(spawner_starting(docker, blocked=True).start_object())

    assert docker.methods()[-1] == "stop"
    assert docker.calls[-1][1] == ("lab9",)


def test_without_the_switch_the_lab_just_starts() -> None:
    docker = RecordingDocker()
    asyncio.run(spawner_starting(docker, blocked=False).start_object())

    assert docker.methods() == ["start"]
