"""stellars_operator/profiles.py: spawn profiles from every node fixture and from spec.profiles."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stellars_hub.profiles import profiles_from_json
from stellars_operator.gpu import decide, read_node
from stellars_operator.profiles import hub_profiles, profiles_status
from stellars_operator.render.config import render_gpu_config
from stellars_operator.spec import GpuSpec
from stellars_operator.status import gpu_status
from tests.unit.operator.conftest import NODE_FIXTURES, load_nodes, make_hub
from tests.unit.operator.crd_schema import openapi_schema

H200 = {"nvidia.com/gpu.product": "NVIDIA-H200"}
A100 = {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"}
GPU_TAINT = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

# fixture -> (slug, display name, GPUs, node selector) of every offered profile, in form order
EXPECTED: dict[str, list[tuple[str, str, int, dict[str, str]]]] = {
    "gfd-labelled": [
        ("cpu", "CPU only", 0, {}),
        ("nvidia-h200-x1", "NVIDIA H200 x 1", 1, H200),
    ],
    "device-plugin-only": [
        ("cpu", "CPU only", 0, {}),
        ("nvidia-com-gpu-x1", "nvidia.com/gpu x 1", 1, {}),
        ("nvidia-com-gpu-x2", "nvidia.com/gpu x 2", 2, {}),
        ("nvidia-com-gpu-x4", "nvidia.com/gpu x 4", 4, {}),
    ],
    "mig": [
        ("cpu", "CPU only", 0, {}),
        ("mig-1g-18gb", "MIG 1g.18gb", 1, H200),
        ("mig-3g-71gb", "MIG 3g.71gb", 1, H200),
    ],
    "amd": [
        ("cpu", "CPU only", 0, {}),
        ("amd-com-gpu-x1", "amd.com/gpu x 1", 1, {}),
        ("amd-com-gpu-x2", "amd.com/gpu x 2", 2, {}),
    ],
    "gke": [
        ("cpu", "CPU only", 0, {}),
        (
            "nvidia-tesla-t4-x1",
            "nvidia tesla t4 x 1",
            1,
            {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"},
        ),
    ],
    "eks": [
        ("cpu", "CPU only", 0, {}),
        (
            "nvidia-tesla-v100-x1",
            "nvidia tesla v100 x 1",
            1,
            {"k8s.amazonaws.com/accelerator": "nvidia-tesla-v100"},
        ),
    ],
    "tainted": [
        ("cpu", "CPU only", 0, {}),
        ("nvidia-h200-x1", "NVIDIA H200 x 1", 1, H200),
    ],
    # two products; the not-ready H200 and the NFD-only node add nothing
    "mixed": [
        ("cpu", "CPU only", 0, {}),
        ("nvidia-a100-sxm4-40gb-x1", "NVIDIA A100 SXM4 40GB x 1", 1, A100),
        ("nvidia-a100-sxm4-40gb-x2", "NVIDIA A100 SXM4 40GB x 2", 2, A100),
        ("nvidia-a100-sxm4-40gb-x4", "NVIDIA A100 SXM4 40GB x 4", 4, A100),
        ("nvidia-a100-sxm4-40gb-x8", "NVIDIA A100 SXM4 40GB x 8", 8, A100),
        ("nvidia-h200-x1", "NVIDIA H200 x 1", 1, H200),
    ],
    # nothing to choose: no profiles, one lab shape as before
    "cpu-only": [],
    "nfd-only": [],
    "not-ready": [],
    "unschedulable": [],
    "gpu-present-false": [],
}


def offered(cluster: str, spec: dict[str, Any] | None = None) -> Any:
    nodes = [read_node(n) for n in load_nodes(cluster)]
    return hub_profiles(make_hub(spec).spec, nodes)


def test_every_node_fixture_has_an_expectation() -> None:
    assert {p.stem for p in NODE_FIXTURES.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("cluster", sorted(EXPECTED))
def test_generated_profiles_per_node_fixture(cluster: str) -> None:
    result = offered(cluster)
    seen = [(p.slug, p.display_name, p.gpus, dict(p.node_selector)) for p in result.profiles]
    assert seen == EXPECTED[cluster]
    assert result.problems == ()
    if result.profiles:
        assert [p.slug for p in result.profiles if p.default] == ["cpu"]
        assert result.profiles[0].gpu is None


def test_gpu_profiles_pin_the_resource_and_tolerate_their_nodes_gpu_taints() -> None:
    tainted = {p.slug: p for p in offered("tainted").profiles}["nvidia-h200-x1"]
    assert tainted.gpu is not None and tainted.gpu.resource == "nvidia.com/gpu"
    assert [dict(t) for t in tainted.tolerations] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
    ]
    mixed = {p.slug: p for p in offered("mixed").profiles}
    assert [dict(t) for t in mixed["nvidia-h200-x1"].tolerations] == [GPU_TAINT]
    assert mixed["nvidia-a100-sxm4-40gb-x8"].tolerations == ()
    mig = {p.slug: p for p in offered("mig").profiles}["mig-3g-71gb"]
    assert mig.gpu is not None and mig.gpu.resource == "nvidia.com/mig-3g.71gb"


def test_gpu_spec_narrows_what_is_generated() -> None:
    only_amd = offered("mixed", {"gpu": {"resourceName": "amd.com/gpu"}})
    assert only_amd.profiles == ()
    pinned = offered("mixed", {"gpu": {"nodeSelector": {"pool": "none"}}})
    assert pinned.profiles == ()
    assert offered("mixed", {"gpu": {"mode": "off"}}).profiles == ()
    assert offered("mixed", {"gpu": {"profiles": "off"}}).profiles == ()


ADMIN = [
    {
        "name": "big-cpu",
        "displayName": "Big CPU",
        "resources": {"limits": {"cpu": "8", "memory": "32Gi"}},
        "groups": ["research"],
        "extraEnv": {"MODE": "big"},
    },
    {"name": "h200-pair", "gpus": 2, "gpuProduct": "NVIDIA-A100-SXM4-40GB", "default": True},
]


def test_admin_profiles_come_after_cpu_and_before_generated() -> None:
    result = offered("mixed", {"profiles": ADMIN})
    slugs = [p.slug for p in result.profiles]
    assert slugs[:3] == ["cpu", "big-cpu", "h200-pair"]
    assert slugs[3] == "nvidia-a100-sxm4-40gb-x1"
    by_slug = {p.slug: p for p in result.profiles}
    assert [p.slug for p in result.profiles if p.default] == ["h200-pair"]
    assert by_slug["big-cpu"].groups == ("research",)
    assert dict(by_slug["big-cpu"].limits) == {"cpu": "8", "memory": "32Gi"}
    pair = by_slug["h200-pair"]
    assert pair.gpu is not None and pair.gpu.count == 2
    assert dict(pair.node_selector) == A100


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"name": "x", "gpus": 1, "gpuProduct": "NVIDIA-B200"}, "spec.profiles[1].gpuProduct"),
        ({"name": ""}, "spec.profiles[1].name"),
        ({"name": "Not A Slug"}, "spec.profiles[1].name"),
        ({"name": "big-cpu"}, "spec.profiles[1].name"),
        ({"name": "neg", "gpus": -1}, "spec.profiles[1].gpus"),
        ({"name": "prod", "gpuProduct": "NVIDIA-H200"}, "spec.profiles[1].gpuProduct"),
        # Each would pass the schema and fail at every spawn of the profile.
        (
            {"name": "gpu-typo", "resources": {"limits": {"nvidia.com/gpu": "1"}}},
            "spec.profiles[1].resources.limits.nvidia.com/gpu: only cpu and memory",
        ),
        (
            {"name": "zero", "resources": {"limits": {"memory": "0"}}},
            "spec.profiles[1].resources.limits.memory: must be more than 0",
        ),
        (
            # The user limit (2Gi, the default) is below this request.
            {"name": "greedy", "resources": {"requests": {"memory": "8Gi"}}},
            "spec.profiles[1].resources.requests.memory: request 8Gi exceeds the limit 2Gi "
            "(from spec.resources.user)",
        ),
        (
            {"name": "inverted", "resources": {"requests": {"cpu": "4"}, "limits": {"cpu": "2"}}},
            "spec.profiles[1].resources.requests.cpu: request 4 exceeds the limit 2 (from the "
            "profile)",
        ),
        (
            {"name": "tol-op", "tolerations": [{"key": "a", "operator": "Sometimes"}]},
            "spec.profiles[1].tolerations[0]: operator 'Sometimes' is neither Exists nor Equal",
        ),
        (
            {"name": "tol-key", "tolerations": [{"operator": "Equal", "value": "x"}]},
            "spec.profiles[1].tolerations[0]: operator Equal needs a key",
        ),
        (
            {
                "name": "tol-field",
                "tolerations": [{"key": "a", "operator": "Exists", "efect": "x"}],
            },
            "spec.profiles[1].tolerations[0]: unknown field efect",
        ),
        (
            {"name": "tol-sec", "tolerations": [{"key": "a", "tolerationSeconds": 5}]},
            "spec.profiles[1].tolerations[0]: tolerationSeconds needs effect NoExecute",
        ),
    ],
)
def test_a_bad_admin_profile_is_left_out_and_named_the_rest_served(
    bad: dict[str, Any], field: str
) -> None:
    result = offered("mixed", {"profiles": [ADMIN[0], bad]})
    assert [p.startswith(field) for p in result.problems] == [True], result.problems
    slugs = [p.slug for p in result.profiles]
    assert "big-cpu" in slugs and "nvidia-h200-x1" in slugs
    assert profiles_status(result)["profileProblems"] == list(result.problems)


def test_well_formed_profile_tolerations_are_served() -> None:
    tolerations = [
        {"operator": "Exists"},
        {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"},
        {"key": "gone", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60},
    ]
    result = offered("mixed", {"profiles": [{"name": "tolerant", "tolerations": tolerations}]})
    assert result.problems == ()
    assert "tolerant" in [p.slug for p in result.profiles]


def test_gpu_profile_when_gpu_mode_is_off_is_a_problem() -> None:
    result = offered("mixed", {"gpu": {"mode": "off"}, "profiles": [{"name": "g", "gpus": 1}]})
    assert result.problems == ("spec.profiles[0].gpus: GPU mode is off",)
    assert result.profiles == ()


def test_gpu_json_and_status_carry_the_same_profiles() -> None:
    hub = make_hub({"profiles": ADMIN[:1]})
    decision = decide(load_nodes("mixed"), GpuSpec())
    document = json.loads(render_gpu_config(hub, gpu=decision)["data"]["gpu.json"])
    profiles = profiles_from_json(document["profiles"], source="gpu.json")
    status = gpu_status(hub, decision)
    assert [p.slug for p in profiles] == [p["name"] for p in status["profiles"]]
    assert status["profiles"][1] == {
        "name": "big-cpu",
        "displayName": "Big CPU",
        "gpus": 0,
        "groups": ["research"],
    }
    assert status["profileProblems"] == []
    # the printer column is unchanged
    assert status["summary"] == decision.summary


def test_the_crd_rejects_duplicate_empty_and_negative() -> None:
    profiles = openapi_schema()["properties"]["spec"]["properties"]["profiles"]
    assert profiles["x-kubernetes-list-type"] == "map"
    assert profiles["x-kubernetes-list-map-keys"] == ["name"]
    item = profiles["items"]["properties"]
    assert profiles["items"]["required"] == ["name"]
    assert item["name"]["minLength"] == 1
    assert item["name"]["pattern"] == "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    assert item["gpus"]["minimum"] == 0
