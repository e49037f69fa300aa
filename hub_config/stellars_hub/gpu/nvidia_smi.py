"""nvidia-smi output -> `GpuInventory`; pure, and never raises on what nvidia-smi may print.

Two shapes are read: the CSV of
`nvidia-smi --query-gpu=index,uuid,memory.total,driver_version,name --format=csv,noheader[,nounits]`
(name last, because GPU names may contain commas) and the listing of `nvidia-smi -L`, the only
one that shows MIG devices. Anything else (no devices, no driver, a library mismatch, garbage)
is an inventory without GPUs whose `reason` says which case it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Final

QUERY_FIELDS: Final = "index,uuid,memory.total,driver_version,name"
QUERY_COMMAND: Final = (
    "nvidia-smi",
    f"--query-gpu={QUERY_FIELDS}",
    "--format=csv,noheader,nounits",
)

_NOT_AVAILABLE: Final = "[N/A]"
_QUERY_COLUMNS: Final = 5
_MEMORY: Final = re.compile(r"^(\d+)(?:\s*MiB)?$")
_LIST_GPU: Final = re.compile(r"^GPU (\d+): (.+?) \(UUID: (GPU-[^)]+)\)$")
_LIST_MIG: Final = re.compile(r"^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)]+)\)$")

# Known failures, matched on what nvidia-smi (or the shell, or the container runtime) prints;
# the text is more specific than the exit status, which differs between driver releases.
_KNOWN_FAILURES: Final = (
    ("No devices were found", "nvidia-smi found no NVIDIA devices"),
    (
        "couldn't communicate with the NVIDIA driver",
        "the NVIDIA driver is not loaded (nvidia-smi could not communicate with it)",
    ),
    (
        "Driver/library version mismatch",
        "NVIDIA driver/library version mismatch (NVML and the kernel module differ; "
        "reboot or reload the driver after an upgrade)",
    ),
    ("couldn't find libnvidia-ml.so", "the NVML library (libnvidia-ml.so) is missing"),
    ("Failed to initialize NVML", "NVML could not be initialised"),
    ("command not found", "nvidia-smi is not installed (command not found)"),
    ("executable file not found", "nvidia-smi is not installed (executable file not found)"),
    ("is not a valid field to query", "nvidia-smi rejected the query (unknown field)"),
)
# Exit statuses documented by nvidia-smi (and the shell's 127), for output that says nothing.
_EXIT_REASONS: Final = {
    2: "nvidia-smi rejected its arguments",
    6: "nvidia-smi found no NVIDIA devices",
    9: "the NVIDIA driver is not loaded",
    12: "the NVML library (libnvidia-ml.so) is missing",
    15: "a GPU has fallen off the bus",
    18: "NVIDIA driver/library version mismatch",
    127: "nvidia-smi is not installed (command not found)",
    255: "nvidia-smi failed with an internal driver error",
}


@dataclass(frozen=True)
class Gpu:
    """One physical GPU as nvidia-smi reports it; unknown fields are None."""

    index: int
    uuid: str
    name: str
    memory_mib: int | None = None
    driver: str | None = None


@dataclass(frozen=True)
class MigDevice:
    """One MIG instance carved out of GPU `gpu_index`."""

    gpu_index: int
    device: int
    profile: str
    uuid: str


@dataclass(frozen=True)
class GpuInventory:
    """What a host has: usable GPUs, or none with the reason why."""

    available: bool
    reason: str
    gpus: tuple[Gpu, ...] = ()
    mig_devices: tuple[MigDevice, ...] = ()

    @property
    def count(self) -> int:
        return len(self.gpus)

    @property
    def models(self) -> tuple[str, ...]:
        """Distinct GPU names, in the order nvidia-smi lists them."""
        return tuple(dict.fromkeys(gpu.name for gpu in self.gpus))

    @property
    def driver(self) -> str | None:
        return next((gpu.driver for gpu in self.gpus if gpu.driver), None)

    @property
    def memory_mib(self) -> int | None:
        """Total memory of all GPUs, when every GPU reported it."""
        sizes = [gpu.memory_mib for gpu in self.gpus]
        if not sizes or None in sizes:
            return None
        return sum(size for size in sizes if size is not None)

    def to_json(self) -> str:
        record = asdict(self)
        record.update(count=self.count, models=list(self.models), driver=self.driver)
        return json.dumps(record, indent=2, sort_keys=True)


def no_gpu(reason: str) -> GpuInventory:
    return GpuInventory(available=False, reason=reason)


def parse_query_gpu(stdout: str, *, exit_code: int = 0, stderr: str = "") -> GpuInventory:
    """Read the output of `QUERY_COMMAND` (with or without `nounits`)."""
    failure = _failure(stdout, stderr=stderr, exit_code=exit_code)
    if failure:
        return no_gpu(failure)
    gpus: list[Gpu] = []
    for line in _lines(stdout):
        gpu = _query_row(line)
        if gpu is None:
            return no_gpu(f"unrecognised nvidia-smi output: {_excerpt(line)}")
        gpus.append(gpu)
    usable = tuple(gpu for gpu in gpus if gpu.uuid != _NOT_AVAILABLE)
    if not usable:
        return no_gpu(
            f"nvidia-smi listed {len(gpus)} GPU(s) without a UUID ([N/A]): "
            "the GPUs are in an error state or need a reset"
        )
    return GpuInventory(available=True, reason=_summary(usable), gpus=usable)


def parse_list(stdout: str, *, exit_code: int = 0, stderr: str = "") -> GpuInventory:
    """Read the output of `nvidia-smi -L`, MIG devices included."""
    failure = _failure(stdout, stderr=stderr, exit_code=exit_code)
    if failure:
        return no_gpu(failure)
    gpus: list[Gpu] = []
    migs: list[MigDevice] = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        gpu_match = _LIST_GPU.match(line.rstrip())
        mig_match = _LIST_MIG.match(line.rstrip())
        if gpu_match:
            index, name, uuid = gpu_match.groups()
            gpus.append(Gpu(index=int(index), uuid=uuid, name=name))
        elif mig_match and gpus:
            profile, device, uuid = mig_match.groups()
            migs.append(
                MigDevice(gpu_index=gpus[-1].index, device=int(device), profile=profile, uuid=uuid)
            )
        else:
            return no_gpu(f"unrecognised nvidia-smi -L output: {_excerpt(line)}")
    inventory = GpuInventory(
        available=True, reason=_summary(tuple(gpus)), gpus=tuple(gpus), mig_devices=tuple(migs)
    )
    if migs:
        return GpuInventory(
            available=True,
            reason=f"{inventory.reason}; {len(migs)} MIG device(s)",
            gpus=inventory.gpus,
            mig_devices=inventory.mig_devices,
        )
    return inventory


def _failure(stdout: str, *, stderr: str, exit_code: int) -> str | None:
    """The reason nvidia-smi gave no inventory, or None when its output should be read."""
    text = f"{stdout}\n{stderr}"
    for marker, reason in _KNOWN_FAILURES:
        if marker in text:
            return reason
    if exit_code != 0:
        first = _first_line(text)
        known = _EXIT_REASONS.get(exit_code, "nvidia-smi failed")
        return f"{known} (exit {exit_code})" + (f": {_excerpt(first)}" if first else "")
    if not _lines(stdout):
        return "nvidia-smi printed nothing"
    return None


def _query_row(line: str) -> Gpu | None:
    # maxsplit keeps the commas of the name, the last column, inside the name.
    columns = [column.strip() for column in line.split(",", _QUERY_COLUMNS - 1)]
    if len(columns) != _QUERY_COLUMNS:
        return None
    index, uuid, memory, driver, name = columns
    if not index.isdigit() or not name or not (uuid.startswith("GPU-") or uuid == _NOT_AVAILABLE):
        return None
    memory_match = _MEMORY.match(memory)
    if memory_match is None and memory != _NOT_AVAILABLE:
        return None
    return Gpu(
        index=int(index),
        uuid=uuid,
        name=name,
        memory_mib=int(memory_match.group(1)) if memory_match else None,
        driver=None if driver == _NOT_AVAILABLE else driver,
    )


def _summary(gpus: tuple[Gpu, ...]) -> str:
    if not gpus:
        return "nvidia-smi listed no GPUs"
    names = ", ".join(dict.fromkeys(gpu.name for gpu in gpus))
    sizes = [gpu.memory_mib for gpu in gpus if gpu.memory_mib is not None]
    memory = f", {sum(sizes)} MiB" if sizes else ""
    driver = next((gpu.driver for gpu in gpus if gpu.driver), None)
    return f"{len(gpus)} GPU(s): {names}{memory}" + (f", driver {driver}" if driver else "")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _first_line(text: str) -> str:
    lines = _lines(text)
    return lines[0] if lines else ""


def _excerpt(line: str, limit: int = 120) -> str:
    return repr(line[:limit])
