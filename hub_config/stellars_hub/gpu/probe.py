"""GPU detection for the Docker path: ENABLE_GPU_SUPPORT -> `GpuPlacement`, probing in mode 2.

Mode 0 never probes and mode 1 trusts the admin. Mode 2 runs nvidia-smi in the CUDA image
`NVIDIA_AUTODETECT_IMAGE` with every GPU requested, bounded by a timeout, and always removes the
container. The decision is made from that fresh probe only: `decide_gpu` is handed a probe to
run, never the cache, and the cache file (`gpu-inventory.json` in the data dir) is written after
the probe as a record for the admin. So a stale record can never switch GPUs on.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import docker
import docker.errors
import requests.exceptions
from docker.types import DeviceRequest

from stellars_hub.contract import GpuMode, GpuPlacement
from stellars_hub.gpu.nvidia_smi import QUERY_COMMAND, GpuInventory, no_gpu, parse_query_gpu

CACHE_FILE: Final = "gpu-inventory.json"
# Every GPU, as `docker run --gpus all` asks for them.
ALL_GPUS: Final = {"Driver": "", "Count": -1, "Capabilities": [["gpu"]]}
_PROBE_LABELS: Final = {
    "app.kubernetes.io/part-of": "stellars-jupyterhub-ds",
    "stellars.io/probe": "gpu",
}

log = logging.getLogger("JupyterHub.stellars.gpu")


def decide_gpu(mode: GpuMode, *, probe: Callable[[], GpuInventory]) -> GpuPlacement:
    """The Docker path's GPU decision for labs; `probe` runs only in mode 2 (auto).

    Labs get every GPU of the host, so only `enabled`, `trusted` and the reason matter here.
    """
    if mode is GpuMode.OFF:
        return GpuPlacement.disabled("off (ENABLE_GPU_SUPPORT=0)")
    if mode is GpuMode.ON:
        reason = "on, trusted without probing (ENABLE_GPU_SUPPORT=1)"
        return GpuPlacement(enabled=True, trusted=True, reason=reason)
    inventory = probe()
    return GpuPlacement(enabled=inventory.available, reason=inventory.reason)


def probe_gpus(client: Any, *, image: str, timeout_s: int) -> GpuInventory:
    """Run nvidia-smi in `image` with all GPUs; an inventory whatever happens, never raises."""
    absent = _ensure_image(client, image=image, timeout_s=timeout_s)
    if absent:
        return no_gpu(absent)
    try:
        container = client.containers.create(
            image,
            command=list(QUERY_COMMAND),
            device_requests=[DeviceRequest(**ALL_GPUS)],
            labels=_PROBE_LABELS,
        )
    except docker.errors.DockerException as error:
        return no_gpu(f"probe container could not be created from {image}: {_explain(error)}")
    try:
        return _run(container, image=image, timeout_s=timeout_s)
    finally:
        _remove(container)


def detect_docker_gpus(*, image: str, timeout_s: int, cache_dir: Path) -> GpuInventory:
    """Probe through the local Docker engine, record the result, log one line."""
    try:
        client = docker.from_env(timeout=timeout_s)
    except docker.errors.DockerException as error:
        inventory = no_gpu(f"Docker engine not reachable for the GPU probe: {_explain(error)}")
    else:
        inventory = probe_gpus(client, image=image, timeout_s=timeout_s)
    record_inventory(inventory, path=cache_dir / CACHE_FILE, image=image, now=datetime.now(UTC))
    models = ", ".join(inventory.models) or "none"
    log.info("GPU probe: %d GPU(s), model %s; %s", inventory.count, models, inventory.reason)
    return inventory


def record_inventory(inventory: GpuInventory, *, path: Path, image: str, now: datetime) -> None:
    """Write the probe's result for the admin to read; a failure to write is only logged."""
    record = {
        "probedAt": now.isoformat(),
        "image": image,
        "inventory": json.loads(inventory.to_json()),
    }
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        os.replace(temporary, path)
    except OSError as error:
        log.warning("GPU probe record not written to %s: %s", path, error)


def _ensure_image(client: Any, *, image: str, timeout_s: int) -> str | None:
    """None when `image` is there (pulled if need be), else why it is not."""
    try:
        client.images.get(image)
        return None
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.DockerException as error:
        return f"probe image {image} could not be inspected: {_explain(error)}"
    # A pull can hang on an unreachable registry; it gets the probe's time limit too. The
    # thread is a daemon so that a pull still hanging never holds up the hub's exit.
    outcome: list[Exception | None] = []

    def pull() -> None:
        try:
            client.images.pull(image)
            outcome.append(None)
        except Exception as error:  # handed over to the waiting thread below
            outcome.append(error)

    thread = threading.Thread(target=pull, name="gpu-probe-pull", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not outcome:
        return f"probe image {image} is absent and pulling it took longer than {timeout_s}s"
    failure = outcome[0]
    if failure is None:
        return None
    if isinstance(failure, docker.errors.DockerException):
        return f"probe image {image} is absent and could not be pulled: {_explain(failure)}"
    raise failure


def _run(container: Any, *, image: str, timeout_s: int) -> GpuInventory:
    try:
        container.start()
    except docker.errors.APIError as error:
        return no_gpu(_start_failure(error, image=image))
    try:
        status = container.wait(timeout=timeout_s)
    except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
        _kill(container)
        return no_gpu(f"probe with {image} timed out after {timeout_s}s (container killed)")
    exit_code = int(status.get("StatusCode", -1))
    stdout = _decode(container.logs(stdout=True, stderr=False))
    stderr = _decode(container.logs(stdout=False, stderr=True))
    inventory = parse_query_gpu(stdout, exit_code=exit_code, stderr=stderr)
    if inventory.available:
        return inventory
    return no_gpu(f"probe with {image} found no GPU (exit {exit_code}): {inventory.reason}")


def _start_failure(error: docker.errors.APIError, *, image: str) -> str:
    text = _explain(error)
    if "could not select device driver" in text:
        return (
            "Docker cannot hand out GPUs (no NVIDIA container toolkit/runtime on this host): "
            + text
        )
    # The runtime reports a missing nvidia-smi when starting; the parser knows those words.
    missing = parse_query_gpu("", exit_code=127, stderr=text)
    if "not installed" in missing.reason:
        return f"probe image {image} has no nvidia-smi: {text}"
    return f"probe container from {image} failed to start: {text}"


def _kill(container: Any) -> None:
    try:
        container.kill()
    except docker.errors.DockerException as error:
        log.debug("GPU probe container already gone at kill: %s", error)


def _remove(container: Any) -> None:
    try:
        container.remove(force=True)
    except docker.errors.DockerException as error:
        log.warning("GPU probe container %s not removed: %s", getattr(container, "id", "?"), error)


def _decode(output: Any) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return str(output)


def _explain(error: Exception) -> str:
    explanation = getattr(error, "explanation", None)
    text = str(explanation or error)
    return " ".join(text.split())[:300]
