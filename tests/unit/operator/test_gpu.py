"""gpu.py against Node fixtures (tests/fixtures/nodes/): every cluster shape, every mode."""

from __future__ import annotations

from typing import Any

import pytest

from stellars_operator.gpu import (
    GpuDecision,
    decide,
    is_gpu_taint,
    node_essentials,
    read_node,
    tolerations_for,
)
from stellars_operator.spec import GpuSpec
from tests.unit.operator.conftest import NODE_FIXTURES, load_nodes

AUTO = GpuSpec()


def _auto(cluster: str, **spec: Any) -> GpuDecision:
    return decide(load_nodes(cluster), GpuSpec(**spec))


def test_every_fixture_is_covered_by_a_test() -> None:
    tested = {
        "gfd-labelled", "nfd-only", "device-plugin-only", "mig", "amd", "gke", "eks", "tainted",
        "not-ready", "unschedulable", "mixed", "gpu-present-false", "cpu-only",
    }  # fmt: skip
    assert {p.stem for p in NODE_FIXTURES.glob("*.yaml")} == tested


def test_gfd_labelled_node_with_device_plugin() -> None:
    decision = _auto("gfd-labelled")
    assert decision.enabled and decision.available
    assert decision.resource == "nvidia.com/gpu"
    assert decision.count == 1
    assert decision.code == "GpuResourceFound"
    assert decision.reason == "1 nvidia.com/gpu allocatable on node(s) gpu-1"
    assert decision.tolerations == ()
    (node,) = decision.nodes
    assert node.product == "NVIDIA-H200"
    assert node.memory_mib == "143771"
    assert node.label_count == "1"
    assert decision.summary == "1x nvidia.com/gpu on 1 node(s)"


def test_nfd_label_without_resource_means_device_plugin_missing() -> None:
    decision = _auto("nfd-only")
    assert not decision.enabled and not decision.available
    assert decision.code == "DevicePluginMissing"
    assert "nfd-1" in decision.reason and "device plugin" in decision.reason
    (node,) = decision.nodes
    assert node.hardware_labels == ("feature.node.kubernetes.io/pci-10de.present",)
    assert "device plugin missing" in node.note()
    assert decision.to_settings()["resource"] is None


def test_device_plugin_without_labels_is_enough() -> None:
    decision = _auto("device-plugin-only")
    assert decision.enabled and decision.resource == "nvidia.com/gpu"
    assert decision.nodes[0].resources == {"nvidia.com/gpu": 4}
    assert decision.nodes[0].product is None


def test_mig_resources_are_requested_exactly_as_named() -> None:
    decision = _auto("mig")
    # nvidia.com/gpu is 0 there (mixed strategy): the MIG slice with the most instances wins
    assert decision.resource == "nvidia.com/mig-1g.18gb"
    assert decision.nodes[0].resources == {"nvidia.com/mig-1g.18gb": 7, "nvidia.com/mig-3g.71gb": 2}
    chosen = _auto("mig", resource_name="nvidia.com/mig-3g.71gb")
    assert chosen.resource == "nvidia.com/mig-3g.71gb" and chosen.available


def test_amd_gpus() -> None:
    decision = _auto("amd")
    assert decision.resource == "amd.com/gpu"
    assert decision.nodes[0].hardware_labels == ("feature.node.kubernetes.io/pci-1002.present",)


def test_gke_accelerator_label_and_taint() -> None:
    decision = _auto("gke")
    assert decision.resource == "nvidia.com/gpu"
    assert decision.nodes[0].product == "nvidia-tesla-t4"
    assert decision.tolerations == (
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
    )


def test_eks_accelerator_label() -> None:
    decision = _auto("eks")
    assert decision.enabled
    assert decision.nodes[0].hardware_labels == ("k8s.amazonaws.com/accelerator",)
    assert decision.nodes[0].product == "nvidia-tesla-v100"


def test_tainted_gpu_node_gives_tolerations_for_its_gpu_taints_only() -> None:
    decision = _auto("tainted")
    assert decision.tolerations == (
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
    )  # dedicated=ml-team is the admin's to tolerate (spec.gpu.tolerations); PreferNoSchedule
    # does not block; node.kubernetes.io/* are conditions


@pytest.mark.parametrize(
    ("taint", "gpu"),
    [
        ({"key": "nvidia.com/gpu", "value": "present"}, True),
        ({"key": "nvidia.com/mig-1g.10gb", "value": ""}, True),
        ({"key": "amd.com/gpu", "value": ""}, True),
        ({"key": "sku", "value": "gpu"}, True),
        ({"key": "dedicated", "value": "ml-team"}, False),
        ({"key": "team", "value": "gpu-admins-only"}, True),
        ({"key": "node-role.kubernetes.io/control-plane", "value": ""}, False),
    ],
)
def test_only_gpu_taints_are_tolerated_by_default(taint: dict[str, str], gpu: bool) -> None:
    assert is_gpu_taint({**taint, "effect": "NoSchedule"}) is gpu


def test_spec_tolerations_come_first_and_are_not_repeated() -> None:
    gpu = {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    team = {"key": "dedicated", "operator": "Equal", "value": "ml-team", "effect": "NoExecute"}
    decision = _auto("tainted", tolerations=(team, gpu))
    assert decision.tolerations == (team, gpu)  # the admin tolerates the team's taint


@pytest.mark.parametrize(
    ("cluster", "note"), [("not-ready", "not Ready"), ("unschedulable", "cordoned")]
)
def test_not_ready_or_cordoned_nodes_do_not_count(cluster: str, note: str) -> None:
    decision = _auto(cluster)
    assert not decision.enabled
    assert decision.code == "NoSchedulableGpuNode"
    assert note in decision.nodes[0].note()


def test_gpu_present_false_means_no_gpu() -> None:
    decision = _auto("gpu-present-false")
    assert not decision.enabled
    assert decision.code == "NoGpuNodes"
    assert decision.nodes == ()  # label "false" and resource 0: nothing GPU-related


def test_cpu_only_cluster() -> None:
    decision = _auto("cpu-only")
    assert not decision.enabled
    assert decision.reason == "no node shows a GPU"
    assert decision.to_settings() == {
        "enabled": False,
        "resource": None,
        "count": 0,
        "nodeSelector": {},
        "tolerations": [],
        "reason": "no node shows a GPU",
    }


def test_mixed_cluster() -> None:
    decision = _auto("mixed")
    assert decision.resource == "nvidia.com/gpu"
    assert decision.reason == "9 nvidia.com/gpu allocatable on node(s) a100-1, h200-1"
    assert [n.name for n in decision.nodes] == ["a100-1", "h200-1", "h200-down", "nfd-2"]
    # only the taint of the nodes that offer the resource
    assert decision.tolerations == (
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    )
    assert decision.summary == "9x nvidia.com/gpu on 2 node(s)"


def test_node_selector_pins_a_model() -> None:
    decision = _auto("mixed", node_selector={"nvidia.com/gpu.product": "NVIDIA-H200"})
    assert decision.reason == "1 nvidia.com/gpu allocatable on node(s) h200-1"
    assert decision.node_selector == {"nvidia.com/gpu.product": "NVIDIA-H200"}
    assert decision.to_settings()["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H200"}


def test_node_selector_matching_nothing() -> None:
    decision = _auto("mixed", node_selector={"nvidia.com/gpu.product": "NVIDIA-B200"})
    assert not decision.enabled
    assert decision.code == "NoMatchingNode"


def test_more_gpus_per_user_than_any_node_has() -> None:
    decision = _auto("gfd-labelled", per_user=2)
    assert not decision.enabled
    assert decision.code == "ResourceNotOffered"
    assert "gpu.perUser" in decision.reason
    assert _auto("mixed", per_user=8).reason.endswith("on node(s) a100-1")


def test_requested_resource_not_offered() -> None:
    decision = _auto("gfd-labelled", resource_name="amd.com/gpu")
    assert not decision.enabled
    assert decision.reason == "no node offers amd.com/gpu"


def test_mode_off_never_requests() -> None:
    decision = _auto("gfd-labelled", mode="off")
    assert not decision.enabled and not decision.available
    assert decision.code == "ModeOff"
    assert decision.nodes  # still reported


def test_per_user_zero_never_requests() -> None:
    assert not _auto("gfd-labelled", per_user=0).enabled


def test_mode_on_with_gpus_behaves_like_auto() -> None:
    assert _auto("gfd-labelled", mode="on") == _auto("gfd-labelled")


def test_mode_on_without_gpus_trusts_the_admin() -> None:
    decision = _auto("cpu-only", mode="on", tolerations=({"key": "gpu", "operator": "Exists"},))
    assert decision.enabled and not decision.available
    assert decision.resource == "nvidia.com/gpu"
    assert decision.code == "NoGpuNodes"
    assert "wait for a node" in decision.reason
    assert decision.tolerations == ({"key": "gpu", "operator": "Exists"},)
    assert _auto("cpu-only", mode="on", resource_name="amd.com/gpu").resource == "amd.com/gpu"


def test_status_shape() -> None:
    status = _auto("gfd-labelled").to_status()
    assert status["summary"] == "1x nvidia.com/gpu on 1 node(s)"
    assert status["resource"] == "nvidia.com/gpu"
    assert status["nodes"] == [
        {
            "name": "gpu-1",
            "ready": True,
            "schedulable": True,
            "resources": {"nvidia.com/gpu": "1"},
            "note": "1 nvidia.com/gpu allocatable (NVIDIA-H200)",
            "product": "NVIDIA-H200",
            "memoryMiB": "143771",
            "labelCount": "1",
        }
    ]


@pytest.mark.parametrize("cluster", ["mixed", "tainted", "mig", "nfd-only", "not-ready"])
def test_essentials_decide_like_the_full_nodes(cluster: str) -> None:
    nodes = load_nodes(cluster)
    trimmed = [node_essentials(n) for n in nodes]
    assert decide(trimmed, AUTO) == decide(nodes, AUTO)
    assert all("lastHeartbeatTime" not in c for n in trimmed for c in n["status"]["conditions"])


def test_garbage_allocatable_is_ignored() -> None:
    node = load_nodes("device-plugin-only")[0]
    node["status"]["allocatable"]["nvidia.com/gpu"] = "many"
    assert read_node(node).resources == {}


def test_node_without_status_is_not_ready() -> None:
    assert read_node({"metadata": {"name": "x"}}).ready is False


def test_tolerations_for_taint_without_value_use_exists() -> None:
    assert tolerations_for([{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]) == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
