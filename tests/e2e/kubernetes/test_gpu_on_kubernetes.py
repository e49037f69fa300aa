"""Issue 7 part 5, end to end: GPUs appear on the real node, a GPU hub uses them, they go again.

There is no GPU here, so the test plays the device plugin and GPU feature discovery: it
advertises the extended resource `nvidia.com/gpu: 2` by patching the node's status (as the
Kubernetes docs for extended resources show; the kubelet keeps such capacity and copies it into
allocatable) and sets the GFD labels. The node is shared by every test: it is always restored.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.e2e.kubernetes.hub_story import (
    PublicService,
    admin_password,
    apply_hub,
    is_true,
    small_hub,
    wait_hub,
)
from tests.fixtures.hub_client import HubClient
from tests.fixtures.kubectl import kubectl_exec
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import conditions_of as conditions

pytestmark = pytest.mark.kubelet

HUB = "gpu"
RESOURCE = "nvidia.com/gpu"
GFD_LABELS = {
    "nvidia.com/gpu.present": "true",
    "nvidia.com/gpu.product": "NVIDIA-H200",
    "nvidia.com/gpu.count": "2",
}
CAPACITY_PATH = "/status/capacity/nvidia.com~1gpu"
JSON_PATCH = "application/json-patch+json"
GPU_FILE = "/etc/stellars/gpu/gpu.json"  # STELLARS_GPU_SETTINGS (docs/hub-settings.md)
# The kubelet refreshes a mounted ConfigMap on its sync period plus its cache TTL (about a
# minute by default): that is how long a new decision takes to reach the hub's next spawn.
CONFIGMAP_PROPAGATION_S = 150


@pytest.fixture
def node(kube: Kube) -> Iterator[str]:
    """The cluster's real node (the one a kubelet keeps Ready), restored however the test ends."""
    nodes = [
        n
        for n in kube.list("/api/v1/nodes")
        if not n["spec"].get("taints")
        and any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])
    ]
    assert nodes, "no Ready, untainted node"
    name: str = nodes[0]["metadata"]["name"]
    try:
        yield name
    finally:
        _forget_gpus(kube, name)


def _advertise_gpus(kube: Kube, node: str) -> None:
    kube.request(
        "PATCH",
        f"/api/v1/nodes/{node}/status",
        body=[{"op": "add", "path": CAPACITY_PATH, "value": "2"}],
        content_type=JSON_PATCH,
    )
    kube.merge_patch(f"/api/v1/nodes/{node}", {"metadata": {"labels": GFD_LABELS}})


def _forget_gpus(kube: Kube, node: str) -> None:
    """Remove the resource and the labels; safe to repeat (merge patch with nulls)."""
    status = {"status": {"capacity": {RESOURCE: None}, "allocatable": {RESOURCE: None}}}
    kube.merge_patch(f"/api/v1/nodes/{node}/status", status)
    kube.merge_patch(f"/api/v1/nodes/{node}", {"metadata": {"labels": dict.fromkeys(GFD_LABELS)}})


def _allocatable(kube: Kube, node: str) -> str | None:
    found = kube.get(f"/api/v1/nodes/{node}") or {}
    value: str | None = found["status"].get("allocatable", {}).get(RESOURCE)
    return value


def _gpu_json(kube: Kube, namespace: str) -> dict[str, Any]:
    cm = kube.get(resource_path("v1", "ConfigMap", namespace=namespace, name=f"{HUB}-gpu"))
    data: dict[str, Any] = json.loads(((cm or {}).get("data") or {}).get("gpu.json", "{}"))
    return data


def _hub_sees(kube_config: str, namespace: str, pod: str) -> dict[str, Any]:
    """The GPU decision as the hub reads it at spawn time (its mounted `<hub>-gpu`)."""
    result = kubectl_exec(pod, "cat", GPU_FILE, kubeconfig=kube_config, namespace=namespace)
    seen: dict[str, Any] = json.loads(result.stdout) if result.returncode == 0 else {}
    return seen


def _hub_pod(kube: Kube, namespace: str) -> dict[str, Any]:
    pods = kube.list(
        resource_path("v1", "Pod", namespace=namespace),
        label_selector=f"app.kubernetes.io/instance={HUB},app.kubernetes.io/component=hub",
    )
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    return pods[0]


def test_gpus_on_the_node_reach_a_users_pod_and_go_again(
    hub_images: None,
    operator: OperatorProcess,
    kube: Kube,
    kube_config: str,
    namespace: str,
    node: str,
    public_service: Any,
) -> None:
    started = time.monotonic()
    # A hub in GPU mode auto on a node without GPUs: it says so.
    apply_hub(kube, namespace, HUB, small_hub(gpu_mode="auto"))
    hub = wait_hub(
        kube, namespace, HUB, lambda h: is_true(h, "Ready"), timeout=300, what="hub Ready"
    )
    assert conditions(hub)["GPUAvailable"]["status"] == "False"
    assert hub["status"]["gpu"]["enabled"] is False
    deployment_path = resource_path("apps/v1", "Deployment", namespace=namespace, name=f"{HUB}-hub")
    generation = (kube.get(deployment_path) or {})["metadata"]["generation"]
    hub_pod_uid = _hub_pod(kube, namespace)["metadata"]["uid"]

    # The "device plugin" and GFD arrive: the kubelet keeps the patched capacity.
    _advertise_gpus(kube, node)
    wait_for(lambda: _allocatable(kube, node) == "2", timeout=30, what="allocatable nvidia.com/gpu")
    hub = wait_hub(
        kube,
        namespace,
        HUB,
        lambda h: is_true(h, "GPUAvailable") and h["status"]["gpu"].get("enabled") is True,
        timeout=60,
        what="GPUAvailable=True",
    )
    gpu = hub["status"]["gpu"]
    print(f"status.gpu with GPUs: {json.dumps(gpu)}")
    assert gpu["resource"] == RESOURCE
    assert node in [n["name"] for n in gpu["nodes"]]
    assert _gpu_json(kube, namespace)["enabled"] is True
    time.sleep(12)  # a kubelet status sync later, the capacity is still there
    assert _allocatable(kube, node) == "2"

    hub_pod = _hub_pod(kube, namespace)["metadata"]["name"]
    wait_for(
        lambda: _hub_sees(kube_config, namespace, hub_pod).get("enabled") is True,
        timeout=CONFIGMAP_PROPAGATION_S,
        interval=3,
        what="the hub's mounted gpu.json enabled",
    )
    print(f"the hub sees the GPUs {time.monotonic() - started:.0f}s into the test")

    # The admin starts a server: its pod asks for one GPU in limits and is scheduled.
    service: PublicService = public_service(namespace, f"{HUB}-proxy-public")
    admin = HubClient(f"http://{service.address}/jupyterhub")
    wait_for(lambda: admin.page("/hub/login").status_code == 200, timeout=120, what="login page")
    assert admin.log_in("admin", admin_password(kube, namespace, hub)).status_code == 302
    admin.create_token("admin")
    assert admin.api("POST", "/users/admin/server").status_code in (201, 202)
    pod_path = resource_path("v1", "Pod", namespace=namespace, name=f"{HUB}-jupyter-admin")

    def scheduled() -> dict[str, Any] | None:
        pod = kube.get(pod_path)
        ok = pod and any(
            c["type"] == "PodScheduled" and c["status"] == "True"
            for c in pod["status"].get("conditions", [])
        )
        return pod if ok else None

    pod = wait_for(scheduled, timeout=120, what="GPU pod scheduled")
    lab = next(c for c in pod["spec"]["containers"] if c["name"] == "notebook")
    assert lab["resources"]["limits"][RESOURCE] == "1", lab["resources"]
    assert pod["spec"]["nodeName"] == node
    # No device plugin: the kubelet admits an extended resource the node advertises, so the
    # lab runs (it needs no device); it must not be rejected (UnexpectedAdmissionError).
    model = admin.wait_server("admin", ready=True, timeout_s=240)
    pod = kube.get(pod_path) or {}
    assert pod["status"]["phase"] == "Running", pod["status"]
    print(f"GPU pod running: {model['servers']['']['state']}")

    # The GPUs go: the decision flips back without restarting the hub.
    kube.request(
        "PATCH",
        f"/api/v1/nodes/{node}/status",
        body=[{"op": "remove", "path": CAPACITY_PATH}],
        content_type=JSON_PATCH,
    )
    kube.request(
        "PATCH",
        f"/api/v1/nodes/{node}",
        body=[
            {"op": "remove", "path": "/metadata/labels/" + k.replace("/", "~1")} for k in GFD_LABELS
        ],
        content_type=JSON_PATCH,
    )
    hub = wait_hub(
        kube,
        namespace,
        HUB,
        lambda h: conditions(h).get("GPUAvailable", {}).get("status") == "False"
        and h["status"]["gpu"].get("enabled") is False,
        timeout=60,
        what="GPUAvailable=False",
    )
    print(f"status.gpu without GPUs: {json.dumps(hub['status']['gpu'])}")
    assert hub["status"]["gpu"]["nodes"] == [] or all(
        n["name"] != node for n in hub["status"]["gpu"]["nodes"]
    ), hub["status"]["gpu"]
    wait_for(
        lambda: _gpu_json(kube, namespace).get("enabled") is False,
        timeout=30,
        what=f"{HUB}-gpu enabled false",
    )
    wait_for(
        lambda: _hub_sees(kube_config, namespace, hub_pod).get("enabled") is False,
        timeout=CONFIGMAP_PROPAGATION_S,
        interval=3,
        what="the hub's mounted gpu.json disabled",
    )
    assert (kube.get(deployment_path) or {})["metadata"]["generation"] == generation
    assert _hub_pod(kube, namespace)["metadata"]["uid"] == hub_pod_uid
    print(f"GPU story done in {time.monotonic() - started:.0f}s")
