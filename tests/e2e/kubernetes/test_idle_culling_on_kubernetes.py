"""Idle culling on Kubernetes, end to end: the admin turns culling on in a running StellarsHub;
the operator rolls the hub by itself, the lab that was left idle is stopped (its pod, and with it
any GPU limit, gone; its claims kept), and a lab whose kernel is busy keeps running.

The culler runs with a short timeout (45 s, a check every 5 s): the test waits about that
long, by nature."""

from __future__ import annotations

import time
from collections.abc import Callable
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
from tests.fixtures.lab_kernel import execute_in_background, start_kernel
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for

pytestmark = pytest.mark.kubelet

HUB = "cull"
CULLING = {"enabled": True, "timeout": 45, "every": 5}
LONG_LOOP = (
    "import time\nfor i in range(10_000):\n    print('step', i, flush=True)\n    time.sleep(5)\n"
)


def hub_pods(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    return kube.list(
        resource_path("v1", "Pod", namespace=namespace),
        label_selector=f"app.kubernetes.io/instance={HUB},app.kubernetes.io/component=hub",
    )


def ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def lab_pod(kube: Kube, namespace: str, user: str) -> dict[str, Any] | None:
    return kube.get(resource_path("v1", "Pod", namespace=namespace, name=f"{HUB}-jupyter-{user}"))


def approved_user(base: str, admin: HubClient, name: str) -> HubClient:
    user = HubClient(base)
    user.sign_up(name, f"{name}-s3cret-pass")
    assert admin.page(f"/hub/authorize/{name}").status_code == 200
    assert user.log_in(name, f"{name}-s3cret-pass").status_code == 302
    user.create_token(name)
    return user


def test_turning_culling_on_rolls_the_hub_and_stops_only_the_idle_lab(
    hub_images: None,
    operator: OperatorProcess,
    kube: Kube,
    namespace: str,
    public_service: Callable[[str, str], PublicService],
) -> None:
    spec = small_hub(gpu_mode="off")
    apply_hub(kube, namespace, HUB, spec)
    hub = wait_hub(kube, namespace, HUB, lambda h: is_true(h, "Ready"), timeout=300, what="Ready")
    service = public_service(namespace, f"{HUB}-proxy-public")
    base = f"http://{service.address}/jupyterhub"
    admin = HubClient(base)
    wait_for(lambda: admin.page("/hub/login").status_code == 200, timeout=120, what="login page")
    assert admin.log_in("admin", admin_password(kube, namespace, hub)).status_code == 302
    admin.create_token("admin")

    # A lab started before culling was on, then left alone.
    idle = approved_user(base, admin, "idle")
    idle.start_server("idle", timeout_s=300)
    [old_hub] = [pod["metadata"]["uid"] for pod in hub_pods(kube, namespace)]

    # The admin turns culling on; nobody restarts anything by hand.
    apply_hub(kube, namespace, HUB, {**spec, "culling": CULLING})
    wait_for(
        lambda: [p for p in hub_pods(kube, namespace) if ready(p)]
        and all(p["metadata"]["uid"] != old_hub for p in hub_pods(kube, namespace)),
        timeout=300,
        interval=2,
        what="the operator to roll the hub",
    )
    wait_for(lambda: admin.page("/hub/health").status_code == 200, timeout=120, what="hub back")

    # A lab whose kernel works (and prints as it goes) through the culler's timeout.
    busy = approved_user(base, admin, "busy")
    busy.start_server("busy", timeout_s=300)
    lab_url = f"{base}/user/busy"
    kernel = start_kernel(lab_url, busy.token)
    assert execute_in_background(lab_url, busy.token, kernel, LONG_LOOP).startswith("step")
    busy_started = time.monotonic()

    wait_for(
        lambda: lab_pod(kube, namespace, "idle") is None,
        timeout=240,
        interval=5,
        what="the culler to stop the idle lab's pod",
    )
    # The hub forgets the server once KubeSpawner's stop has seen the pod go: a moment later.
    wait_for(
        lambda: not admin.api("GET", "/users/idle").json()["servers"],
        timeout=60,
        what="the hub to record the idle lab stopped",
    )
    for suffix in ("home", "workspace", "cache"):
        claim = resource_path(
            "v1", "PersistentVolumeClaim", namespace=namespace, name=f"{HUB}--idle-{suffix}"
        )
        assert (kube.get(claim) or {}).get("status", {}).get("phase") == "Bound", suffix

    # Past the timeout and two more checks, counted from the busy lab's start.
    time.sleep(
        max(0.0, busy_started + CULLING["timeout"] + 2 * CULLING["every"] - time.monotonic())
    )
    pod = lab_pod(kube, namespace, "busy")
    assert pod and pod["status"]["phase"] == "Running", "the busy lab was culled"
    server = admin.api("GET", "/users/busy").json()["servers"].get("")
    assert server and server["ready"]
