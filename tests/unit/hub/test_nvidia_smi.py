"""nvidia-smi parsing against the real H200 captures and the hand-written shapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from stellars_hub.gpu.nvidia_smi import GpuInventory, parse_list, parse_query_gpu

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gpu"
Parser = Callable[..., GpuInventory]


def parse_capture(parser: Parser, name: str) -> GpuInventory:
    """Parse FIXTURES/name.{stdout,stderr,exit} the way the probe hands them over."""
    base = FIXTURES / name
    return parser(
        base.with_suffix(".stdout").read_text(),
        stderr=base.with_suffix(".stderr").read_text(),
        exit_code=int(base.with_suffix(".exit").read_text()),
    )


H200_UUID = "GPU-6a0a3aee-22eb-2609-f780-8ce4941992a1"


@pytest.mark.parametrize("capture", ["h200/query-gpu", "h200/query-gpu-units"])
def test_h200_query_gives_one_gpu_with_memory_and_driver(capture: str) -> None:
    inventory = parse_capture(parse_query_gpu, capture)

    assert inventory.available
    assert inventory.count == 1
    assert inventory.models == ("NVIDIA H200",)
    assert inventory.gpus[0].uuid == H200_UUID
    assert inventory.memory_mib == 143771
    assert inventory.driver == "580.159.04"
    assert inventory.reason == "1 GPU(s): NVIDIA H200, 143771 MiB, driver 580.159.04"


def test_h200_list_gives_one_gpu_without_mig() -> None:
    inventory = parse_capture(parse_list, "h200/list")

    assert inventory.available
    assert [(gpu.index, gpu.name, gpu.uuid) for gpu in inventory.gpus] == [
        (0, "NVIDIA H200", H200_UUID)
    ]
    assert inventory.mig_devices == ()


def test_h200_bad_field_is_no_gpu_naming_the_query() -> None:
    inventory = parse_capture(parse_query_gpu, "h200/bad-field")

    assert not inventory.available
    assert inventory.reason == "nvidia-smi rejected the query (unknown field)"


def test_mig_devices_belong_to_their_gpu() -> None:
    inventory = parse_capture(parse_list, "shapes/mig-list")

    assert inventory.count == 2
    assert [(m.gpu_index, m.device, m.profile) for m in inventory.mig_devices] == [
        (0, 0, "3g.40gb"),
        (0, 1, "2g.20gb"),
        (0, 2, "1g.10gb"),
        (1, 0, "1g.10gb"),
        (1, 1, "1g.10gb"),
    ]
    assert all(m.uuid.startswith("MIG-") for m in inventory.mig_devices)
    assert inventory.reason.endswith("; 5 MIG device(s)")


def test_several_gpus_of_two_models() -> None:
    inventory = parse_capture(parse_query_gpu, "shapes/multi-gpu-query")

    assert inventory.count == 4
    assert [gpu.index for gpu in inventory.gpus] == [0, 1, 2, 3]
    assert inventory.models == ("NVIDIA A100-SXM4-80GB", "NVIDIA L4")
    assert inventory.memory_mib == 3 * 81920 + 24576


def test_several_gpus_listed() -> None:
    inventory = parse_capture(parse_list, "shapes/multi-gpu-list")

    assert inventory.count == 2
    assert inventory.models == ("NVIDIA L4",)


def test_a_name_with_commas_stays_whole() -> None:
    inventory = parse_capture(parse_query_gpu, "shapes/name-with-commas")

    assert inventory.models == ("NVIDIA Example, Rev. 2, 80GB",)
    assert inventory.gpus[0].memory_mib == 81559


def test_not_available_memory_keeps_the_gpu_with_unknown_memory() -> None:
    inventory = parse_capture(parse_query_gpu, "shapes/na-memory")

    assert inventory.available
    assert inventory.gpus[0].memory_mib is None
    assert inventory.gpus[0].driver is None
    assert inventory.memory_mib is None


@pytest.mark.parametrize(
    ("capture", "reason"),
    [
        ("shapes/no-devices", "nvidia-smi found no NVIDIA devices"),
        ("shapes/driver-missing", "the NVIDIA driver is not loaded"),
        ("shapes/library-mismatch", "NVIDIA driver/library version mismatch"),
        ("shapes/nvml-missing", "the NVML library (libnvidia-ml.so) is missing"),
        ("shapes/command-not-found", "nvidia-smi is not installed (command not found)"),
        ("shapes/unknown-error", "internal driver error (exit 255): 'Unable to determine"),
        ("shapes/garbage", "unrecognised nvidia-smi"),
        ("shapes/empty", "nvidia-smi printed nothing"),
    ],
)
def test_each_failure_is_no_gpu_with_its_own_reason(capture: str, reason: str) -> None:
    for parser in (parse_query_gpu, parse_list):
        inventory = parse_capture(parser, capture)

        assert not inventory.available
        assert inventory.gpus == ()
        assert reason in inventory.reason, (parser.__name__, inventory.reason)


def test_gpus_reported_all_not_available_are_no_gpu() -> None:
    inventory = parse_capture(parse_query_gpu, "shapes/na-all")

    assert not inventory.available
    assert "listed 2 GPU(s) without a UUID ([N/A])" in inventory.reason


def test_the_list_parser_refuses_query_output_and_vice_versa() -> None:
    as_list = parse_capture(parse_list, "h200/query-gpu")
    as_query = parse_capture(parse_query_gpu, "h200/list")

    assert not as_list.available
    assert "unrecognised nvidia-smi -L output" in as_list.reason
    assert not as_query.available
    assert "unrecognised nvidia-smi output" in as_query.reason


def test_exit_codes_without_a_known_message_still_say_what_happened() -> None:
    assert parse_query_gpu("", exit_code=9).reason == "the NVIDIA driver is not loaded (exit 9)"
    assert parse_query_gpu("", exit_code=42).reason == "nvidia-smi failed (exit 42)"
    dash = parse_query_gpu("", exit_code=127, stderr="sh: 1: nvidia-smi: not found")
    assert dash.reason.startswith("nvidia-smi is not installed (command not found) (exit 127)")


def test_inventory_json_is_a_readable_record() -> None:
    record = json.loads(parse_capture(parse_query_gpu, "h200/query-gpu").to_json())

    assert record["available"] is True
    assert record["count"] == 1
    assert record["models"] == ["NVIDIA H200"]
    assert record["driver"] == "580.159.04"
    assert record["gpus"][0]["memory_mib"] == 143771
    assert record["mig_devices"] == []


def test_every_fixture_file_is_used_by_this_module() -> None:
    source = Path(__file__).read_text()
    captures = {
        path.with_suffix("")
        for path in FIXTURES.rglob("*")
        if path.suffix in {".stdout", ".stderr", ".exit"}
    }
    unused = [
        str(c.relative_to(FIXTURES))
        for c in captures
        if f'"{c.relative_to(FIXTURES)}"' not in source
    ]
    assert unused == []
