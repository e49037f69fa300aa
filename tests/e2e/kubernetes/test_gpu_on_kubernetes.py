"""Issue 7 part 5, end to end: GPUs appear on the real node, a GPU hub uses them, they go again.

There is no GPU here, so the test plays the device plugin and GPU feature discovery: it
advertises the extended resource `nvidia.com/gpu: 2` by patching the node's status (as the
Kubernetes docs for extended resources show; the kubelet keeps such capacity and copies it into
allocatable) and sets the GFD labels. The node is shared by every test: it is always restored.

Issue 14 rides on the same hub: with two GPU kinds on the node (H200 GPUs and a MIG slice) the
spawn form offers CPU and both; the admin starts "NVIDIA H200 x 1" through the REST API and its
pod has that limit and node selector; a hidden profile or too many GPUs are refused (400); when
the MIG slice goes, the next form no longer offers it, with the same hub pod.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.hub_client import HubClient
from tests.fixtures.hub_story import (
    PublicService,
    admin_password,
    apply_hub,
    is_true,
    small_hub,
    wait_hub,
)
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
# The second GPU kind: one MIG slice (GPU feature discovery's mixed strategy).
MIG = "nvidia.com/mig-1g.18gb"
MIG_PATH = "/status/capacity/nvidia.com~1mig-1g.18gb"
# A profile only the group "research" sees (the admin is in no group).
HIDDEN = {"name": "research-only", "displayName": "Research", "groups": ["research"]}
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
        body=[
            {"op": "add", "path": CAPACITY_PATH, "value": "2"},
            {"op": "add", "path": MIG_PATH, "value": "1"},
        ],
        content_type=JSON_PATCH,
    )
    kube.merge_patch(f"/api/v1/nodes/{node}", {"metadata": {"labels": GFD_LABELS}})


def _forget_gpus(kube: Kube, node: str) -> None:
    """Remove the resource and the labels; safe to repeat (merge patch with nulls)."""
    gone = {RESOURCE: None, MIG: None}
    status = {"status": {"capacity": gone, "allocatable": gone}}
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


def _form_profiles(client: HubClient) -> list[str]:
    """The profile slugs of the spawn form, in order ([] when the hub shows no form)."""
    page = client.page("/hub/spawn", follow=False)
    return re.findall(r'name="profile" id="profile-[^"]+" value="([^"]+)"', page.text)


def _profile_slugs(profiles: list[dict[str, Any]]) -> list[str]:
    return [p["name"] for p in profiles]


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
    apply_hub(kube, namespace, HUB, {**small_hub(gpu_mode="auto"), "profiles": [HIDDEN]})
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
    offered = ["cpu", "research-only", "nvidia-h200-x1", "nvidia-h200-x2", "mig-1g-18gb"]
    hub = wait_hub(
        kube,
        namespace,
        HUB,
        lambda h: is_true(h, "GPUAvailable")
        and h["status"]["gpu"].get("enabled") is True
        and _profile_slugs(h["status"]["gpu"].get("profiles", [])) == offered,
        timeout=60,
        what="GPUAvailable=True and the GPU profiles",
    )
    gpu = hub["status"]["gpu"]
    print(f"status.gpu with GPUs: {json.dumps(gpu)}")
    assert gpu["resource"] == RESOURCE
    assert node in [n["name"] for n in gpu["nodes"]]
    assert gpu["profileProblems"] == []
    assert _gpu_json(kube, namespace)["enabled"] is True
    assert _profile_slugs(_gpu_json(kube, namespace)["profiles"]) == offered
    time.sleep(12)  # a kubelet status sync later, the capacity is still there
    assert _allocatable(kube, node) == "2"

    hub_pod = _hub_pod(kube, namespace)["metadata"]["name"]
    wait_for(
        lambda: _hub_sees(kube_config, namespace, hub_pod).get("enabled") is True
        and _profile_slugs(_hub_sees(kube_config, namespace, hub_pod)["profiles"]) == offered,
        timeout=CONFIGMAP_PROPAGATION_S,
        interval=3,
        what="the hub's mounted gpu.json enabled, with the GPU profiles",
    )
    print(f"the hub sees the GPUs {time.monotonic() - started:.0f}s into the test")

    # The admin starts a server: its pod asks for one GPU in limits and is scheduled.
    service: PublicService = public_service(namespace, f"{HUB}-proxy-public")
    admin = HubClient(f"http://{service.address}/jupyterhub")
    wait_for(lambda: admin.page("/hub/login").status_code == 200, timeout=120, what="login page")
    assert admin.log_in("admin", admin_password(kube, namespace, hub)).status_code == 302
    admin.create_token("admin")
    # The form: CPU first and preselected, both GPU kinds, not the research group's profile.
    assert _form_profiles(admin) == ["cpu", "nvidia-h200-x1", "nvidia-h200-x2", "mig-1g-18gb"]
    assert 'value="cpu" data-gpus="0" checked' in admin.page("/hub/spawn").text
    # Forged choices are refused before anything starts, with the reason.
    hidden = admin.api("POST", "/users/admin/server", json={"profile": "research-only"})
    assert hidden.status_code == 400, hidden.text
    assert "The profile 'research-only' is not available to you" in hidden.json()["message"]
    greedy = admin.api("POST", "/users/admin/server", json={"profile": "nvidia-h200-x1", "gpus": 2})
    assert greedy.status_code == 400, greedy.text
    assert "gives at most 1 GPU(s); 2 were asked for" in greedy.json()["message"]
    spawn = admin.api("POST", "/users/admin/server", json={"profile": "nvidia-h200-x1"})
    assert spawn.status_code in (201, 202), spawn.text
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
    assert pod["spec"]["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-H200"}
    assert pod["spec"]["nodeName"] == node
    # No device plugin: the kubelet admits an extended resource the node advertises, so the
    # lab runs (it needs no device); it must not be rejected (UnexpectedAdmissionError).
    model = admin.wait_server("admin", ready=True, timeout_s=240)
    pod = kube.get(pod_path) or {}
    assert pod["status"]["phase"] == "Running", pod["status"]
    print(f"GPU pod running {time.monotonic() - started:.0f}s in: {model['servers']['']['state']}")

    # The MIG slice goes: its profile leaves the next form, and the last choice is preselected.
    admin.stop_server("admin")
    kube.request(
        "PATCH",
        f"/api/v1/nodes/{node}/status",
        body=[{"op": "remove", "path": MIG_PATH}],
        content_type=JSON_PATCH,
    )
    without_mig = ["cpu", "nvidia-h200-x1", "nvidia-h200-x2"]
    wait_for(
        lambda: _form_profiles(admin) == without_mig,
        timeout=CONFIGMAP_PROPAGATION_S,
        interval=3,
        what="the MIG profile gone from the form",
    )
    assert 'value="nvidia-h200-x1" data-gpus="1" checked' in admin.page("/hub/spawn").text
    print(f"the MIG profile left the form {time.monotonic() - started:.0f}s into the test")

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
