"""The Docker GPU probe with a fake Docker client, and the mode -> decision rule."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests.exceptions

from stellars_hub.contract import GpuMode
from stellars_hub.gpu import probe as probe_module
from stellars_hub.gpu.nvidia_smi import QUERY_COMMAND, GpuInventory, no_gpu
from stellars_hub.gpu.probe import (
    CACHE_FILE,
    decide_gpu,
    detect_docker_gpus,
    probe_gpus,
    record_inventory,
)

H200 = (Path(__file__).resolve().parents[2] / "fixtures/gpu/h200/query-gpu.stdout").read_bytes()
IMAGE = "nvidia/cuda:12.9.1-base-ubuntu24.04"


class FakeContainer:
    def __init__(
        self,
        *,
        status: int = 0,
        stdout: bytes = b"",
        stderr: bytes = b"",
        start_error: Exception | None = None,
        hangs: bool = False,
    ) -> None:
        self.id = "c0ffee"
        self.status, self.stdout, self.stderr = status, stdout, stderr
        self.start_error, self.hangs = start_error, hangs
        self.killed = self.removed = False

    def start(self) -> None:
        if self.start_error:
            raise self.start_error

    def wait(self, timeout: int) -> dict[str, int]:
        if self.hangs:
            raise requests.exceptions.ReadTimeout(f"read timed out ({timeout})")
        return {"StatusCode": self.status}

    def logs(self, *, stdout: bool, stderr: bool) -> bytes:
        return self.stdout if stdout else self.stderr

    def kill(self) -> None:
        self.killed = True

    def remove(self, *, force: bool) -> None:
        assert force
        self.removed = True


class FakeImages:
    def __init__(self, *, present: bool, pull_error: Exception | None, pull_seconds: float) -> None:
        self.present, self.pull_error, self.pull_seconds = present, pull_error, pull_seconds
        self.pulled: list[str] = []

    def get(self, image: str) -> object:
        if not self.present:
            raise docker.errors.ImageNotFound(f"No such image: {image}")
        return object()

    def pull(self, image: str) -> None:
        time.sleep(self.pull_seconds)
        if self.pull_error:
            raise self.pull_error
        self.pulled.append(image)
        self.present = True


class FakeContainers:
    def __init__(self, container: FakeContainer) -> None:
        self.container = container
        self.created: list[dict[str, Any]] = []

    def create(self, image: str, **kwargs: Any) -> FakeContainer:
        self.created.append({"image": image, **kwargs})
        return self.container


class FakeClient:
    def __init__(
        self,
        container: FakeContainer | None = None,
        *,
        present: bool = True,
        pull_error: Exception | None = None,
        pull_seconds: float = 0.0,
    ) -> None:
        self.images = FakeImages(present=present, pull_error=pull_error, pull_seconds=pull_seconds)
        self.containers = FakeContainers(container or FakeContainer(stdout=H200))


def test_a_gpu_host_gives_the_inventory_and_the_container_goes() -> None:
    client = FakeClient(FakeContainer(stdout=H200))

    inventory = probe_gpus(client, image=IMAGE, timeout_s=10)

    assert inventory.available
    assert inventory.models == ("NVIDIA H200",)
    created = client.containers.created[0]
    assert created["image"] == IMAGE
    assert created["command"] == list(QUERY_COMMAND)
    [request] = created["device_requests"]
    assert (request["Count"], request["Capabilities"]) == (-1, [["gpu"]])
    assert client.containers.container.removed


def test_a_failing_nvidia_smi_is_no_gpu_with_its_exit_status() -> None:
    container = FakeContainer(
        status=9,
        stdout=b"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    )

    inventory = probe_gpus(FakeClient(container), image=IMAGE, timeout_s=10)

    assert not inventory.available
    assert inventory.reason == (
        f"probe with {IMAGE} found no GPU (exit 9): "
        "the NVIDIA driver is not loaded (nvidia-smi could not communicate with it)"
    )
    assert container.removed


def test_a_hanging_probe_is_killed_removed_and_no_gpu() -> None:
    container = FakeContainer(hangs=True)

    inventory = probe_gpus(FakeClient(container), image=IMAGE, timeout_s=2)

    assert not inventory.available
    assert inventory.reason == f"probe with {IMAGE} timed out after 2s (container killed)"
    assert container.killed and container.removed


def test_docker_without_gpu_runtime_is_no_gpu_saying_so() -> None:
    error = docker.errors.APIError(
        "500 Server Error",
        explanation='could not select device driver "" with capabilities: [[gpu]]',
    )
    container = FakeContainer(start_error=error)

    inventory = probe_gpus(FakeClient(container), image=IMAGE, timeout_s=10)

    assert not inventory.available
    assert inventory.reason.startswith("Docker cannot hand out GPUs (no NVIDIA container toolkit")
    assert container.removed


def test_an_image_without_nvidia_smi_is_no_gpu_saying_so() -> None:
    error = docker.errors.APIError(
        "400 Client Error",
        explanation='exec: "nvidia-smi": executable file not found in $PATH',
    )

    inventory = probe_gpus(FakeClient(FakeContainer(start_error=error)), image=IMAGE, timeout_s=5)

    assert inventory.reason.startswith(f"probe image {IMAGE} has no nvidia-smi")


def test_an_absent_image_is_pulled_first() -> None:
    client = FakeClient(present=False)

    assert probe_gpus(client, image=IMAGE, timeout_s=10).available
    assert client.images.pulled == [IMAGE]


def test_an_absent_image_that_cannot_be_pulled_is_no_gpu_and_no_container() -> None:
    error = docker.errors.NotFound("404", explanation="pull access denied for nvidia/cuda")
    client = FakeClient(present=False, pull_error=error)

    inventory = probe_gpus(client, image=IMAGE, timeout_s=10)

    assert not inventory.available
    assert inventory.reason == (
        f"probe image {IMAGE} is absent and could not be pulled: pull access denied for nvidia/cuda"
    )
    assert client.containers.created == []


def test_a_pull_that_hangs_is_bounded_by_the_timeout() -> None:
    client = FakeClient(present=False, pull_seconds=3)

    started = time.monotonic()
    inventory = probe_gpus(client, image=IMAGE, timeout_s=1)

    assert time.monotonic() - started < 2.5
    assert inventory.reason == f"probe image {IMAGE} is absent and pulling it took longer than 1s"


def _never(*_: object, **__: object) -> GpuInventory:
    raise AssertionError("this mode must not probe")


def test_mode_off_never_probes() -> None:
    decision = decide_gpu(GpuMode.OFF, probe=_never)

    assert (decision.enabled, decision.detected) == (False, False)
    assert decision.reason == "off (ENABLE_GPU_SUPPORT=0)"


def test_mode_on_trusts_the_admin_without_probing() -> None:
    decision = decide_gpu(GpuMode.ON, probe=_never)

    assert (decision.enabled, decision.detected) == (True, False)


@pytest.mark.parametrize("available", [True, False])
def test_mode_auto_follows_the_probe(available: bool) -> None:
    inventory = GpuInventory(available=available, reason="probed")

    decision = decide_gpu(GpuMode.AUTO, probe=lambda: inventory)

    assert (decision.enabled, decision.detected, decision.reason) == (
        available,
        available,
        "probed",
    )


def test_a_stale_record_of_gpus_never_turns_gpus_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = GpuInventory(available=True, reason="8 GPU(s) last week")
    old = datetime(2020, 1, 1, tzinfo=UTC)
    record_inventory(stale, path=tmp_path / CACHE_FILE, image=IMAGE, now=old)
    denying = FakeClient(FakeContainer(status=6, stdout=b"No devices were found\n"))
    monkeypatch.setattr(probe_module.docker, "from_env", lambda **_: denying)

    decision = decide_gpu(
        GpuMode.AUTO,
        probe=lambda: detect_docker_gpus(image=IMAGE, timeout_s=5, cache_dir=tmp_path),
    )

    assert not decision.enabled
    assert "no NVIDIA devices" in decision.reason
    record = json.loads((tmp_path / CACHE_FILE).read_text())
    assert record["inventory"]["available"] is False
    assert record["probedAt"] > old.isoformat()
    assert record["image"] == IMAGE


def test_an_unreachable_docker_engine_is_no_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(**_: object) -> None:
        raise docker.errors.DockerException("Error while fetching server API version")

    monkeypatch.setattr(probe_module.docker, "from_env", unreachable)

    inventory = detect_docker_gpus(image=IMAGE, timeout_s=5, cache_dir=tmp_path)

    assert inventory.reason.startswith("Docker engine not reachable for the GPU probe")
    assert (tmp_path / CACHE_FILE).exists()


def test_a_record_that_cannot_be_written_is_only_logged(tmp_path: Path) -> None:
    missing_dir = tmp_path / "absent" / CACHE_FILE

    record_inventory(no_gpu("x"), path=missing_dir, image=IMAGE, now=datetime.now(UTC))

    assert not missing_dir.exists()
