"""stellars_hub/profiles.py: the profile model, generated counts, groups, and forged choices."""

from __future__ import annotations

from typing import Any

import pytest

from stellars_hub.profiles import (
    GpuOffer,
    Profile,
    ProfileError,
    ProfileGpu,
    ProfileRefused,
    allowed_profiles,
    choose_profile,
    cpu_profile,
    generate_gpu_profiles,
    gpu_counts,
    offered_profiles,
    options_from_form,
    preselected,
    profiles_from_json,
    profiles_to_json,
    read_profile,
)

GPU_1 = Profile(slug="h200-x1", display_name="NVIDIA H200 x 1", gpu=ProfileGpu(count=1))
GPU_2 = Profile(
    slug="gpu-pair",
    display_name="Two GPUs",
    gpu=ProfileGpu(count=2, device_ids=("GPU-a", "GPU-b")),
)
RESEARCH = Profile(slug="big", display_name="Big", groups=("research", "ml"))
OFFERED = offered_profiles([RESEARCH, GPU_2], [GPU_1])


@pytest.mark.parametrize(
    ("most", "counts"),
    [(1, (1,)), (2, (1, 2)), (3, (1, 2, 3)), (4, (1, 2, 4)), (8, (1, 2, 4, 8)), (6, (1, 2, 4, 6))],
)
def test_counts_one_node_can_give(most: int, counts: tuple[int, ...]) -> None:
    assert gpu_counts(most) == counts


def test_generated_profiles_name_product_and_count_and_mig_slices() -> None:
    offers = [
        GpuOffer(resource="nvidia.com/mig-1g.18gb", product="NVIDIA-H200", most_per_node=7),
        GpuOffer(
            resource="nvidia.com/gpu",
            product="NVIDIA-H200",
            most_per_node=8,
            node_selector={"nvidia.com/gpu.product": "NVIDIA-H200"},
        ),
    ]
    profiles = generate_gpu_profiles(offers)
    assert [(p.display_name, p.gpus) for p in profiles] == [
        ("NVIDIA H200 x 1", 1),
        ("NVIDIA H200 x 2", 2),
        ("NVIDIA H200 x 4", 4),
        ("NVIDIA H200 x 8", 8),
        ("MIG 1g.18gb", 1),
    ]
    assert [p.slug for p in profiles][-1] == "mig-1g-18gb"
    assert dict(profiles[0].node_selector) == {"nvidia.com/gpu.product": "NVIDIA-H200"}
    mig_gpu = profiles[-1].gpu
    assert mig_gpu is not None and mig_gpu.resource == "nvidia.com/mig-1g.18gb"


def test_cpu_first_and_default_unless_an_admin_profile_says_otherwise() -> None:
    assert [p.slug for p in OFFERED] == ["cpu", "big", "gpu-pair", "h200-x1"]
    assert [p.slug for p in OFFERED if p.default] == ["cpu"]
    chosen = offered_profiles([Profile(slug="x", display_name="X", default=True)], [GPU_1])
    assert [p.slug for p in chosen if p.default] == ["x"]
    own_cpu = Profile(slug="cpu", display_name="Small CPU", limits={"cpu": "1"})
    replaced = offered_profiles([own_cpu], [])
    assert [(p.slug, p.display_name, p.default) for p in replaced] == [("cpu", "Small CPU", True)]


def test_group_filtering() -> None:
    assert [p.slug for p in allowed_profiles(OFFERED, [])] == ["cpu", "gpu-pair", "h200-x1"]
    assert [p.slug for p in allowed_profiles(OFFERED, ["ml"])] == [p.slug for p in OFFERED]
    assert "big" not in [p.slug for p in allowed_profiles(OFFERED, ["finance"])]


def test_json_round_trip() -> None:
    documents = profiles_to_json(OFFERED)
    assert profiles_from_json(documents, source="gpu.json") == OFFERED


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ({"name": ""}, "p.name"),
        ({"name": "UPPER"}, "p.name"),
        ({"name": "ok", "gpus": {"count": 0}}, "p.gpus.count"),
        ({"name": "ok", "groups": [""]}, "p.groups"),
        ({"name": "ok", "resources": {"limits": []}}, "p.resources.limits"),
    ],
)
def test_a_bad_profile_names_its_key(document: dict[str, Any], key: str) -> None:
    with pytest.raises(ProfileError, match=rf"^{key}:"):
        read_profile(document, source="p")


def test_no_choice_is_the_default_then_the_last_used() -> None:
    allowed = allowed_profiles(OFFERED, [])
    assert choose_profile(allowed, {}).slug == "cpu"
    assert choose_profile(allowed, {}, last_used="h200-x1").slug == "h200-x1"
    assert choose_profile(allowed, {}, last_used="big").slug == "cpu"
    assert preselected(allowed, "h200-x1") == "h200-x1"
    assert preselected(allowed, "big") == "cpu"
    assert choose_profile(allowed, {"profile": "gpu-pair"}).profile == GPU_2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"profile": "big"}, "The profile 'big' is not available to you. Available: cpu, "),
        ({"profile": "nope"}, "The profile 'nope' is not available to you."),
        ({"profile": ["cpu"]}, "The profile must be given by its name."),
        ({"profile": "h200-x1", "gpus": "2"}, "gives at most 1 GPU(s); 2 were asked for."),
        ({"profile": "cpu", "gpus": 1}, "gives at most 0 GPU(s); 1 were asked for."),
        ({"profile": "h200-x1", "gpus": "-1"}, "gives at most 1 GPU(s); -1 were asked for."),
        ({"profile": "h200-x1", "gpus": "lots"}, "The GPU count 'lots' is not a whole number."),
    ],
)
def test_forged_choices_are_refused_with_a_reason(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileRefused) as refused:
        choose_profile(allowed_profiles(OFFERED, ["finance"]), options)
    assert message in str(refused.value)


def test_fewer_gpus_than_the_profile_keep_its_first_devices() -> None:
    allowed = allowed_profiles(OFFERED, [])
    one = choose_profile(allowed, {"profile": "gpu-pair", "gpus": "1"}).profile
    assert one.gpu == ProfileGpu(count=1, device_ids=("GPU-a",))
    none = choose_profile(allowed, {"profile": "gpu-pair", "gpus": "0"}).profile
    assert none.gpu is None


def test_nothing_allowed_is_refused() -> None:
    with pytest.raises(ProfileRefused, match="No lab profile is available"):
        choose_profile((), {})


def test_form_fields_become_options() -> None:
    form = {"profile": ["h200-x1"], "gpus": [" 1 "], "other": ["x"]}
    assert options_from_form(form) == {"profile": "h200-x1", "gpus": "1"}
    assert options_from_form({"profile": [""]}) == {}
    assert cpu_profile().gpu is None
