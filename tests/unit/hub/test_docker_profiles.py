"""stellars_hub/docker_profiles.py: profiles from every nvidia-smi fixture, the profiles file,
and a chosen profile as DockerSpawner traits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from stellars_hub.docker_profiles import (
    configure_docker_profiles,
    device_request,
    docker_gpu_profiles,
    docker_profile_traits,
    load_profiles_file,
    offered_docker_profiles,
    parse_profiles_file,
)
from stellars_hub.gpu.nvidia_smi import GpuInventory, parse_list, parse_query_gpu
from stellars_hub.profiles import Profile, ProfileGpu

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gpu"
REPO = Path(__file__).resolve().parents[3]


def capture(name: str) -> GpuInventory:
    base = FIXTURES / name
    parser = parse_list if "list" in name else parse_query_gpu
    return parser(
        base.with_suffix(".stdout").read_text(),
        stderr=base.with_suffix(".stderr").read_text(),
        exit_code=int(base.with_suffix(".exit").read_text()),
    )


H200 = "GPU-6a0a3aee-22eb-2609-f780-8ce4941992a1"
# capture -> (slug, display name, device ids) of each generated profile
EXPECTED: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "h200/query-gpu": [("gpu-0", "1 x H200 (GPU 0)", (H200,))],
    "h200/query-gpu-units": [("gpu-0", "1 x H200 (GPU 0)", (H200,))],
    "h200/list": [("gpu-0", "1 x H200 (GPU 0)", (H200,))],
    "h200/bad-field": [],
    "shapes/multi-gpu-query": [
        ("gpu-0", "1 x A100-SXM4-80GB (GPU 0)", ("GPU-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",)),
        ("gpu-1", "1 x A100-SXM4-80GB (GPU 1)", ("GPU-1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1",)),
        ("gpu-2", "1 x A100-SXM4-80GB (GPU 2)", ("GPU-2f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f2",)),
        ("gpu-3", "1 x L4 (GPU 3)", ("GPU-3f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f3",)),
    ],
    "shapes/mig-list": [
        ("gpu-0", "1 x A100-SXM4-80GB (GPU 0)", ("GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77",)),
        ("gpu-1", "1 x A100-SXM4-80GB (GPU 1)", ("GPU-8f3e2d1c-0b9a-4877-6655-443322110099",)),
        (
            "mig-3g-40gb-gpu0-0",
            "MIG 3g.40gb (GPU 0, device 0)",
            ("MIG-c6d4f1a8-9d8e-5f0a-8c31-2a1b7e6d9f01",),
        ),
        (
            "mig-2g-20gb-gpu0-1",
            "MIG 2g.20gb (GPU 0, device 1)",
            ("MIG-1b2c3d4e-5f60-5718-9a2b-3c4d5e6f7a80",),
        ),
        (
            "mig-1g-10gb-gpu0-2",
            "MIG 1g.10gb (GPU 0, device 2)",
            ("MIG-2c3d4e5f-6071-5829-ab3c-4d5e6f7a8b91",),
        ),
        (
            "mig-1g-10gb-gpu1-0",
            "MIG 1g.10gb (GPU 1, device 0)",
            ("MIG-3d4e5f60-7182-593a-bc4d-5e6f7a8b9ca2",),
        ),
        (
            "mig-1g-10gb-gpu1-1",
            "MIG 1g.10gb (GPU 1, device 1)",
            ("MIG-4e5f6071-8293-5a4b-cd5e-6f7a8b9cadb3",),
        ),
    ],
}
NO_GPU = [
    "command-not-found",
    "driver-missing",
    "empty",
    "garbage",
    "library-mismatch",
    "na-all",
    "no-devices",
    "nvml-missing",
    "unknown-error",
]


def test_every_capture_has_an_expectation() -> None:
    captures = {f"{p.parent.name}/{p.stem}" for p in FIXTURES.glob("*/*.stdout")} - {
        f"shapes/{name}" for name in NO_GPU
    }
    known = set(EXPECTED) | {"shapes/multi-gpu-list", "shapes/na-memory", "shapes/name-with-commas"}
    assert captures == known


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_one_profile_per_probed_device(name: str) -> None:
    profiles = docker_gpu_profiles(capture(name))
    seen = [(p.slug, p.display_name, p.gpu.device_ids if p.gpu else ()) for p in profiles]
    assert seen == EXPECTED[name]
    assert all(p.gpus == 1 for p in profiles)


def test_the_other_gpu_shapes_give_one_profile_per_gpu() -> None:
    for name in ("shapes/multi-gpu-list", "shapes/na-memory", "shapes/name-with-commas"):
        inventory = capture(name)
        assert len(docker_gpu_profiles(inventory)) == inventory.count + len(inventory.mig_devices)


@pytest.mark.parametrize("name", NO_GPU)
def test_no_gpu_gives_no_gpu_profile_and_no_form(name: str) -> None:
    inventory = capture(f"shapes/{name}")
    assert docker_gpu_profiles(inventory) == ()
    assert offered_docker_profiles((), inventory) == ()


def test_offered_is_cpu_admin_then_gpus() -> None:
    admin, _ = parse_profiles_file(
        {"profiles": [{"name": "big", "resources": {"limits": {"memory": "8Gi"}}}]}, source="f"
    )
    offered = offered_docker_profiles(admin, capture("h200/query-gpu"))
    assert [(p.slug, p.default) for p in offered] == [
        ("cpu", True),
        ("big", False),
        ("gpu-0", False),
    ]


def test_the_example_profiles_file_in_compose_reads_without_problems() -> None:
    profiles, problems = load_profiles_file(REPO / "compose" / "profiles.example.yaml")
    assert problems == []
    assert profiles
    assert load_profiles_file(REPO / "compose" / "profiles.yaml") == ((), [])


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"name": ""}, "f: profiles[1].name:"),
        ({"name": "a"}, "f: profiles[1].name: 'a' is used by an earlier profile"),
        ({"name": "b", "gpus": -1}, "f: profiles[1].gpus: must be a whole number"),
        ({"name": "b", "nodeSelector": {}}, "f: profiles[1].nodeSelector: applies on Kubernetes"),
        (
            {"name": "b", "resources": {"limits": {"memory": "lots"}}},
            "f: profiles[1].resources.limits.memory: 'lots' is not a memory size",
        ),
        (
            {"name": "b", "resources": {"limits": {"cpu": "x"}}},
            "f: profiles[1].resources.limits.cpu",
        ),
        ("text", "f: profiles[1]: must be a mapping"),
    ],
)
def test_a_bad_entry_is_left_out_and_named(entry: Any, problem: str) -> None:
    profiles, problems = parse_profiles_file({"profiles": [{"name": "a"}, entry]}, source="f")
    assert [p.slug for p in profiles] == ["a"]
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_an_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    bad = tmp_path / "profiles.yaml"
    bad.write_text("profiles: [unclosed\n")
    assert load_profiles_file(bad)[1][0].startswith(f"{bad}: not valid YAML")
    bad.write_text(yaml.safe_dump({"profiles": {"a": 1}}))
    assert load_profiles_file(bad) == ((), [f"{bad}: profiles must be a list"])


BASE: dict[str, Any] = {
    "image": "lab:1",
    "mem_limit": 2 * 1024**3,
    "cpu_limit": 2.0,
    "extra_host_config": {
        "device_requests": [{"Count": -1}],
        "memswap_limit": 2 * 1024**3,
        "cap_drop": ["ALL"],
    },
    "environment": {"KEEP": "1", "ENABLE_GPU_SUPPORT": "1"},
}


def test_a_gpu_profile_gets_exactly_its_devices() -> None:
    profile = docker_gpu_profiles(capture("shapes/multi-gpu-query"))[1]
    traits = docker_profile_traits(profile, base=BASE, detected=True)
    assert traits["extra_host_config"]["device_requests"] == [
        {
            "Driver": "",
            "DeviceIDs": ["GPU-1f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1"],
            "Capabilities": [["gpu"]],
        }
    ]
    assert traits["extra_host_config"]["cap_drop"] == ["ALL"]
    assert traits["environment"]["NVIDIA_DETECTED"] == "1"
    assert traits["environment"]["KEEP"] == "1"
    assert (traits["image"], traits["mem_limit"], traits["cpu_limit"]) == (
        "lab:1",
        BASE["mem_limit"],
        2.0,
    )


def test_a_cpu_profile_gets_no_device_and_its_limits() -> None:
    profile = Profile(
        slug="big",
        display_name="Big",
        image="lab:big",
        limits={"memory": "8Gi", "cpu": "500m"},
        extra_env={"MODE": "big"},
    )
    traits = docker_profile_traits(profile, base=BASE, detected=False)
    assert "device_requests" not in traits["extra_host_config"]
    assert traits["extra_host_config"]["memswap_limit"] == 8 * 1024**3
    assert traits["environment"]["NVIDIA_VISIBLE_DEVICES"] == "void"
    assert traits["environment"]["ENABLE_GPU_SUPPORT"] == "0"
    assert traits["environment"]["MODE"] == "big"
    assert (traits["image"], traits["mem_limit"], traits["cpu_limit"]) == (
        "lab:big",
        8 * 1024**3,
        0.5,
    )


def test_a_count_without_devices_is_a_count_request() -> None:
    assert device_request(ProfileGpu(count=2)) == {
        "Driver": "",
        "Count": 2,
        "Capabilities": [["gpu"]],
    }


def test_configure_offers_only_when_there_is_a_choice() -> None:
    c = Config()
    assert configure_docker_profiles(c, admin=(), inventory=capture("shapes/no-devices")) == ()
    assert "StellarsDockerSpawner" not in c
    offered = configure_docker_profiles(c, admin=(), inventory=capture("h200/query-gpu"))
    assert [p.slug for p in offered] == ["cpu", "gpu-0"]
    assert c.StellarsDockerSpawner.gpus_detected is True
    assert callable(c.StellarsDockerSpawner.apply_user_options)
