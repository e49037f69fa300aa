"""The lab's network rules (stellars_hub.metadata_block): other labs, the hub's other networks and
169.254.169.254 prohibited, against a recording stand-in for DockerSpawner.docker; the real rules
are proven in tests/e2e/compose/test_lab_metadata_block.py."""

from __future__ import annotations

import asyncio
from typing import Any

import docker.errors
import pytest
from traitlets.config import Config

from stellars_hub.contract import GpuPlacement
from stellars_hub.docker_spawner import StellarsDockerSpawner, configure_docker
from stellars_hub.metadata_block import (
    MetadataBlockError,
    attachments,
    isolate_lab,
    isolation_commands,
)
from stellars_hub.settings import load_settings

LAB_INSPECT = {
    "NetworkSettings": {
        "Networks": {
            "labs": {"IPAddress": "172.30.0.7", "IPPrefixLen": 16, "Gateway": "172.30.0.1"},
        }
    }
}
HUB_INSPECT = {
    "NetworkSettings": {
        "Networks": {
            "labs": {"IPAddress": "172.30.0.2", "IPPrefixLen": 16, "Gateway": "172.30.0.1"},
            "proj_front": {"IPAddress": "172.31.5.3", "IPPrefixLen": 24, "Gateway": "172.31.5.1"},
        }
    }
}


class RecordingDocker:
    """docker-py APIClient calls as DockerSpawner.docker makes them; `wait` answers `exit_code`."""

    def __init__(self, exit_code: int = 0) -> None:
        self.exit_code = exit_code
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((method, args, kwargs))
        if method == "inspect_container" and args == ("gone",):
            raise docker.errors.NotFound("No such container: gone")
        answers = {
            "create_container": {"Id": "helper1"},
            "wait": {"StatusCode": self.exit_code},
            "logs": b"RTNETLINK answers: Operation not permitted\n",
            "inspect_container": HUB_INSPECT if args == ("hub0",) else LAB_INSPECT,
        }
        return answers.get(method)

    def methods(self) -> list[str]:
        return [method for method, _, _ in self.calls]


def isolation(*, hub: dict[str, Any] = HUB_INSPECT, block_metadata: bool = True) -> list[list[str]]:
    return isolation_commands(
        lab=attachments(LAB_INSPECT),
        hub=attachments(hub),
        lab_network="labs",
        block_metadata=block_metadata,
    )


def test_the_hub_and_the_gateway_stay_reachable_every_subnet_of_the_hub_is_prohibited() -> None:
    commands = isolation()

    assert commands == [
        ["ip", "rule", "add", "to", "172.30.0.2/32", "lookup", "main", "pref", "100"],
        ["ip", "rule", "add", "to", "172.30.0.1/32", "lookup", "main", "pref", "101"],
        ["ip", "rule", "add", "to", "172.30.0.0/16", "prohibit", "pref", "110"],
        ["ip", "rule", "add", "to", "172.31.5.0/24", "prohibit", "pref", "111"],
        ["ip", "route", "add", "prohibit", "169.254.169.254/32"],
    ]


def test_without_the_metadata_switch_the_lab_rules_stay() -> None:
    commands = isolation(block_metadata=False)

    assert ["ip", "route", "add", "prohibit", "169.254.169.254/32"] not in commands
    assert ["ip", "rule", "add", "to", "172.30.0.0/16", "prohibit", "pref", "110"] in commands


def test_a_hub_off_the_lab_network_opens_no_way_in() -> None:
    elsewhere = {
        "NetworkSettings": {
            "Networks": {"bridge": HUB_INSPECT["NetworkSettings"]["Networks"]["proj_front"]}
        }
    }
    assert isolation(hub=elsewhere) == [
        ["ip", "rule", "add", "to", "172.30.0.1/32", "lookup", "main", "pref", "100"],
        ["ip", "rule", "add", "to", "172.30.0.0/16", "prohibit", "pref", "110"],
        ["ip", "rule", "add", "to", "172.31.5.0/24", "prohibit", "pref", "111"],
        ["ip", "route", "add", "prohibit", "169.254.169.254/32"],
    ]


def test_a_lab_off_its_network_is_an_error_the_user_reads() -> None:
    with pytest.raises(MetadataBlockError, match="not on the lab network elsewhere"):
        isolation_commands(
            lab=attachments(LAB_INSPECT),
            hub=attachments(HUB_INSPECT),
            lab_network="elsewhere",
            block_metadata=True,
        )


def test_the_helper_runs_the_commands_in_the_labs_namespace_and_goes() -> None:
    docker = RecordingDocker()
    commands = [
        ["ip", "route", "add", "prohibit", "169.254.169.254/32"],
        ["ip", "rule", "add", "to", "10.0.0.0/8", "prohibit", "pref", "110"],
    ]
    asyncio.run(isolate_lab(docker, lab_container_id="lab1", image="hub:1", commands=commands))

    assert docker.methods() == ["create_container", "start", "wait", "remove_container"]
    _, _, create = docker.calls[0]
    assert create["image"] == "hub:1"
    assert [*create["entrypoint"], *create["command"]] == [
        "sh",
        "-c",
        "ip route add prohibit 169.254.169.254/32 && ip rule add to 10.0.0.0/8 prohibit pref 110",
    ]
    assert create["user"] == "0"
    assert create["host_config"] == {
        "NetworkMode": "container:lab1",
        "CapDrop": ["ALL"],
        "CapAdd": ["NET_ADMIN"],
        "SecurityOpt": ["no-new-privileges"],
    }
    assert docker.calls[-1][1:] == (("helper1",), {"force": True})


def test_a_failed_rule_is_an_error_the_user_reads_and_the_helper_still_goes() -> None:
    docker = RecordingDocker(exit_code=2)
    with pytest.raises(MetadataBlockError, match="Operation not permitted") as raised:
        asyncio.run(
            isolate_lab(docker, lab_container_id="lab1", image="hub:1", commands=[["true"]])
        )

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
        isolate_from_metadata=blocked,
        metadata_helper_image="hub:3",
        object_id="lab9",
        hub_container="hub0",
        network_name="labs",
    )
    spawner.docker = docker
    return spawner


def test_the_spawner_isolates_right_after_docker_start() -> None:
    docker = RecordingDocker()
    asyncio.run(spawner_starting(docker, blocked=True).start_object())

    assert docker.methods()[:4] == [
        "start",
        "inspect_container",
        "inspect_container",
        "create_container",
    ]
    assert [docker.calls[1][1], docker.calls[2][1]] == [("lab9",), ("hub0",)]
    assert docker.calls[3][2]["host_config"]["NetworkMode"] == "container:lab9"
    assert "169.254.169.254/32" in docker.calls[3][2]["command"][1]


def test_a_lab_that_cannot_be_blocked_is_stopped() -> None:
    docker = RecordingDocker(exit_code=1)
    with pytest.raises(MetadataBlockError):
        asyncio.run(spawner_starting(docker, blocked=True).start_object())

    assert docker.methods()[-1] == "stop"
    assert docker.calls[-1][1] == ("lab9",)


def test_without_the_switch_the_lab_is_still_kept_from_other_labs() -> None:
    docker = RecordingDocker()
    asyncio.run(spawner_starting(docker, blocked=False).start_object())

    assert docker.methods()[:4] == [
        "start",
        "inspect_container",
        "inspect_container",
        "create_container",
    ]
    script = docker.calls[3][2]["command"][1]
    assert "169.254.169.254" not in script
    assert "ip rule add to 172.30.0.0/16 prohibit pref 110" in script


@pytest.mark.parametrize(("host", "ip"), [("jupyterhub-front", "jupyterhub-front"), ("", None)])
def test_the_proxys_public_port_binds_where_compose_says(host: str, ip: str | None) -> None:
    c = Config()
    settings = load_settings({"STELLARS_PROXY_BIND_HOST": host, "ENABLE_GPU_SUPPORT": "0"})
    configure_docker(c, settings, gpu=GpuPlacement.disabled("off"))

    assert c.JupyterHub.get("ip") == ip


def test_a_hub_that_is_no_container_leaves_only_the_gateway_open() -> None:
    recording = RecordingDocker()
    spawner = spawner_starting(recording, blocked=True)
    spawner.hub_container = "gone"
    asyncio.run(spawner.start_object())

    script = recording.calls[3][2]["command"][1]
    assert script == (
        "ip rule add to 172.30.0.1/32 lookup main pref 100 && "
        "ip rule add to 172.30.0.0/16 prohibit pref 110 && "
        "ip route add prohibit 169.254.169.254/32"
    )
