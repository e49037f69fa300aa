"""GPU nodes appear and go: status.gpu and <hub>-gpu follow without restarting the hub."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import conditions_of, create_hub, wait_for_status

pytestmark = pytest.mark.cluster

# A Node object with no kubelet behind it, tainted so that no other test's pod lands there.
FAKE_TAINT = {"key": "stellars.io/test-node", "value": "gpu", "effect": "NoSchedule"}


def _fake_gpu_node(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "nvidia.com/gpu.present": "true",
                "nvidia.com/gpu.product": "NVIDIA-H200",
                "nvidia.com/gpu.count": "2",
            },
        },
        "spec": {"taints": [FAKE_TAINT]},
    }


def _gpu_json(kube: Kube, namespace: str) -> dict[str, Any]:
    cm = kube.get(resource_path("v1", "ConfigMap", namespace=namespace, name="demo-gpu")) or {}
    data: dict[str, Any] = json.loads((cm.get("data") or {}).get("gpu.json", "{}"))
    return data


@pytest.fixture
def gpu_node(kube: Kube, namespace: str) -> Any:
    name = f"stellars-test-gpu-{hashlib.sha256(namespace.encode()).hexdigest()[:12]}"
    path = resource_path("v1", "Node", name=name)
    kube.request("POST", "/api/v1/nodes", body=_fake_gpu_node(name))
    try:
        yield name, path
    finally:
        kube.delete(path)


def test_gpu_node_appears_and_goes(
    operator: OperatorProcess, kube: Kube, namespace: str, gpu_node: Any
) -> None:
    name, path = gpu_node
    create_hub(kube, namespace, "demo")
    wait_for_status(kube, namespace, "demo", lambda h: bool(h.get("status", {}).get("gpu")))
    hub_deployment = resource_path("apps/v1", "Deployment", namespace=namespace, name="demo-hub")
    # The Node watcher may write status.gpu before the hub's first pass has applied its children.
    generation = wait_for(lambda: kube.get(hub_deployment), what="the hub Deployment")["metadata"][
        "generation"
    ]

    # the device plugin's part: advertise the resource and a Ready condition (node status)
    kube.merge_patch(
        f"{path}/status",
        {
            "status": {
                "capacity": {"nvidia.com/gpu": "2", "cpu": "4", "memory": "8Gi", "pods": "10"},
                "allocatable": {"nvidia.com/gpu": "2", "cpu": "4", "memory": "8Gi", "pods": "10"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            }
        },
    )
    hub = wait_for_status(
        kube, namespace, "demo", lambda h: h["status"]["gpu"].get("enabled") is True, timeout=30
    )
    gpu = hub["status"]["gpu"]
    assert gpu["resource"] == "nvidia.com/gpu"
    assert name in [n["name"] for n in gpu["nodes"]]
    assert conditions_of(hub)["GPUAvailable"]["status"] == "True"
    settings = wait_for(
        lambda: _gpu_json(kube, namespace).get("enabled") and _gpu_json(kube, namespace)
    )
    assert settings["resource"] == "nvidia.com/gpu"
    assert {
        "key": "stellars.io/test-node",
        "operator": "Equal",
        "value": "gpu",
        "effect": "NoSchedule",
    } in (settings["tolerations"])

    # the GPUs go: remove the resource (the node stays)
    kube.merge_patch(
        f"{path}/status",
        {"status": {"capacity": {"nvidia.com/gpu": None}, "allocatable": {"nvidia.com/gpu": None}}},
    )
    hub = wait_for_status(
        kube,
        namespace,
        "demo",
        lambda h: conditions_of(h)["GPUAvailable"]["reason"] == "DevicePluginMissing",
        timeout=30,
    )
    assert hub["status"]["gpu"]["enabled"] is False
    assert "device plugin" in conditions_of(hub)["GPUAvailable"]["message"]
    assert wait_for(lambda: _gpu_json(kube, namespace).get("enabled") is False or None)
    # and the hub was never rolled for it
    assert (kube.get(hub_deployment) or {})["metadata"]["generation"] == generation
