"""GPU auto-detection (mode 2) of the hub image on a real engine that accepts GPU requests (the
`gpu_engine` fixture: dockerd with a stand-in NVIDIA hook). The probe image's `nvidia-smi` is a
script: it fails like a host without a driver, hangs, or prints what a real H200 printed
(tests/fixtures/gpu/h200). Every probe container is removed whatever happened, the decision comes
from the fresh probe, and the record in the data volume says what the last probe saw."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.compose.lone_hub import (
    DRIVER_MESSAGE,
    PROBE_TIMEOUT_S,
    LoneHubs,
    probe_settings,
)
from tests.fixtures.docker import HUB_IMAGE, INSECURE_OK
from tests.fixtures.gpu_engine import GpuEngine
from tests.fixtures.hub_client import HubClient
from tests.fixtures.images import base_image
from tests.fixtures.polling import wait_for

pytestmark = [pytest.mark.docker, INSECURE_OK]

H200 = Path(__file__).resolve().parents[2] / "fixtures" / "gpu" / "h200"


@pytest.fixture(scope="module")
def hubs(platform_images: None, gpu_engine: GpuEngine) -> Iterator[LoneHubs]:
    gpu_engine.load(HUB_IMAGE)
    gpu_engine.load(base_image())
    made = LoneHubs(gpu_engine.cli, socket=gpu_engine.socket)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="module")
def answering_h200(hubs: LoneHubs) -> str:
    """A probe image whose nvidia-smi prints the real H200's query-gpu output (nounits)."""
    captured = (H200 / "query-gpu.stdout").read_text()
    return hubs.probe_image(f"printf %s {shlex.quote(captured)}", base=base_image())


def gpu_record(hubs: LoneHubs, hub: str) -> dict[str, Any]:
    """The probe's record in the hub's data volume (for the admin)."""
    text = hubs.docker("exec", hub, "cat", "/data/gpu-inventory.json").stdout
    record: dict[str, Any] = json.loads(text)
    return record


def test_the_engine_hands_out_gpu_requests(hubs: LoneHubs) -> None:
    # The premise of this module: unlike the main engine here, this one starts GPU containers.
    started = hubs.docker(
        "run", "--rm", "--gpus", "all", base_image(), "sh", "-c", "echo started", check=False
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "started"


def test_probe_that_answers_like_an_h200_turns_gpus_on(hubs: LoneHubs, answering_h200: str) -> None:
    hub = hubs.run(**probe_settings(answering_h200))

    probe_line = hubs.wait_for_line(hub, "GPU probe:")
    decision = hubs.wait_for_line(hub, "GPU for labs:")

    assert "GPU probe: 1 GPU(s), model NVIDIA H200" in probe_line, probe_line
    assert "GPU for labs: on" in decision, decision
    record = gpu_record(hubs, hub)
    assert record["image"] == answering_h200
    assert record["probedAt"]
    inventory = record["inventory"]
    assert inventory["available"] is True
    assert inventory["count"] == 1
    assert [gpu["name"] for gpu in inventory["gpus"]] == ["NVIDIA H200"]
    assert hubs.probe_containers(answering_h200) == []


def test_probe_that_fails_says_no_gpu_with_the_exit_code(hubs: LoneHubs) -> None:
    image = hubs.probe_image(f'echo "{DRIVER_MESSAGE}"; exit 9', base=base_image())
    hub = hubs.run(**probe_settings(image))

    line = hubs.wait_for_line(hub, "GPU for labs:")

    assert "GPU for labs: off" in line, line
    assert f"probe with {image} found no GPU (exit 9)" in line, line
    assert "driver" in line.lower(), line
    assert hubs.probe_containers(image) == []


def test_probe_that_hangs_is_killed_at_the_timeout_and_removed(hubs: LoneHubs) -> None:
    image = hubs.probe_image("exec sleep 3600", base=base_image())
    hub = hubs.run(**probe_settings(image))

    line = hubs.wait_for_line(hub, "GPU for labs:")

    assert "GPU for labs: off" in line, line
    assert f"probe with {image} timed out after {PROBE_TIMEOUT_S}s" in line, line
    assert hubs.probe_containers(image) == []


def test_a_record_of_gpus_never_outlives_a_probe_that_finds_none(
    hubs: LoneHubs, answering_h200: str
) -> None:
    # The original project turned GPUs on from a stale cache; here the data volume keeps the
    # record of an H200 and the next start's probe fails.
    data = hubs.volume()
    first = hubs.run(data_volume=data, **probe_settings(answering_h200))
    assert "GPU for labs: on" in hubs.wait_for_line(first, "GPU for labs:")
    hubs.stop(first)
    failing = hubs.probe_image(f'echo "{DRIVER_MESSAGE}"; exit 9', base=base_image())

    second = hubs.run(data_volume=data, **probe_settings(failing))

    line = hubs.wait_for_line(second, "GPU for labs:")
    assert "GPU for labs: off" in line, line
    record = gpu_record(hubs, second)
    assert record["image"] == failing
    assert record["inventory"]["available"] is False


# --- issue 14: one spawn profile per probed GPU, and the lab gets exactly that device --------

MULTI_GPU = Path(__file__).resolve().parents[2] / "fixtures" / "gpu" / "shapes" / "multi-gpu-query"
ADMIN_PASSWORD = "profiles-e2e-Secret-1"
# The lab stand-in sleeps whatever it is asked: the spawn only has to create the container.
LAB_STAND_IN = "exec sleep 600"


def lab_containers(hubs: LoneHubs, user: str) -> list[str]:
    return [
        c
        for c in hubs.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
        if c == f"jupyterlab-{user}"
    ]


def test_each_probed_gpu_is_a_profile_and_the_lab_gets_only_that_device(
    hubs: LoneHubs,
) -> None:
    captured = MULTI_GPU.with_suffix(".stdout").read_text()
    four_gpus = hubs.probe_image(f"printf %s {shlex.quote(captured)}", base=base_image())
    lab_image = hubs.probe_image(LAB_STAND_IN, base=base_image(), command="nvidia-smi")
    network = hubs.network()
    hub = hubs.run(
        **probe_settings(four_gpus),
        JUPYTERHUB_ADMIN_PASSWORD=ADMIN_PASSWORD,
        DOCKER_NOTEBOOK_IMAGE=lab_image,
        DOCKER_NETWORK_NAME=network,
        # Alone, without its Compose service name: the proxy reaches the hub in-container.
        STELLARS_HUB_CONNECT_URL="http://127.0.0.1:8081",
    )

    line = hubs.wait_for_line(hub, "Spawn profiles:")
    assert "Spawn profiles: cpu, gpu-0, gpu-1, gpu-2, gpu-3" in line, line
    client = HubClient(f"http://{hubs.address(hub)}:8000/jupyterhub")
    wait_for(
        lambda: client.page("/hub/login").status_code == 200,
        timeout=120,
        what="login page",
        retry_on=(requests.exceptions.ConnectionError,),
    )
    assert client.log_in("admin", ADMIN_PASSWORD).status_code == 302
    client.create_token("admin")
    form = client.page("/hub/spawn", follow=False).text
    assert "1 x A100-SXM4-80GB (GPU 2)" in form and "1 x L4 (GPU 3)" in form
    refused = client.api("POST", "/users/admin/server", json={"profile": "gpu-2", "gpus": 2})
    assert refused.status_code == 400, refused.text
    assert lab_containers(hubs, "admin") == []

    started = client.api("POST", "/users/admin/server", json={"profile": "gpu-2"})
    assert started.status_code in (201, 202), started.text

    wait_for(lambda: lab_containers(hubs, "admin"), timeout=60, what="the lab container")
    inspected = json.loads(hubs.docker("inspect", "jupyterlab-admin").stdout)[0]
    devices = inspected["HostConfig"]["DeviceRequests"]
    assert [r["DeviceIDs"] for r in devices] == [["GPU-2f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f2"]]
    env = dict(item.split("=", 1) for item in inspected["Config"]["Env"])
    assert (env["ENABLE_GPU_SUPPORT"], env["NVIDIA_DETECTED"]) == ("1", "1")
