"""The Kubernetes side of the benchmarks: a small StellarsHub, what the operator renders for it,
applying that by hand with kubectl, and waiting on readiness the same way on both sides."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from collections.abc import Callable
from typing import Any, Final

import yaml

from stellars_operator.kube import Kube, resource_path
from stellars_operator.labels import ChildNames
from stellars_operator.status import DeploymentState
from tests.fixtures.binaries import cluster_binary
from tests.fixtures.chart_objects import HUB_CLUSTER_ROLE
from tests.fixtures.hub_story import small_hub
from tests.fixtures.ports import tcp_open
from tests.fixtures.stellarshub import HUBS, conditions_of, unowned_children

# How often both sides of a comparison look: the same for both, small next to what is measured.
POLL_S: Final = 0.1


def bench_spec() -> dict[str, Any]:
    """A StellarsHub spec that fits the one small node: the user stories' small hub."""
    return small_hub(gpu_mode="off")


def hub_body(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "stellars.io/v1alpha1",
        "kind": "StellarsHub",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def hub_path(namespace: str, name: str) -> str:
    return resource_path(*HUBS, namespace=namespace, name=name)


def wait_until(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll every POLL_S until `check` answers something truthy; raise on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(POLL_S)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def is_ready(hub: dict[str, Any] | None) -> bool:
    return bool(hub) and conditions_of(hub or {}).get("Ready", {}).get("status") == "True"


def deployments_available(kube: Kube, namespace: str, hub_name: str) -> bool:
    """What the operator's Ready condition means: the hub and proxy Deployments available."""
    names = ChildNames(hub_name)
    for name in (names.hub, names.proxy):
        path = resource_path("apps/v1", "Deployment", namespace=namespace, name=name)
        if not DeploymentState.observe(name, kube.get(path)).available:
            return False
    return True


def rendered_children(namespace: str, name: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Exactly what the operator renders for this hub, bound to the same ClusterRole
    (chart_objects.py), without owner references."""
    return unowned_children(namespace, name, spec, hub_cluster_role=HUB_CLUSTER_ROLE)


def kubectl(kubeconfig: str, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [cluster_binary("kubectl"), "--kubeconfig", kubeconfig, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def kubectl_apply(kubeconfig: str, objects: list[dict[str, Any]]) -> None:
    kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump_all(objects))


def admin_password(kube: Kube, namespace: str, hub: dict[str, Any]) -> str:
    where = hub["status"]["adminPassword"]
    path = resource_path("v1", "Secret", namespace=namespace, name=where["secretName"])
    data = wait_until(
        lambda: ((kube.get(path) or {}).get("data") or {}).get(where["key"]),
        timeout=60,
        what=f"admin password in {where}",
    )
    return base64.b64decode(data).decode()


def public_address(kube: Kube, namespace: str, hub_name: str) -> str:
    """host:port of the proxy's public Service, reached on its ClusterIP (kube-proxy's rules on
    this node catch the host's own traffic too)."""
    path = resource_path("v1", "Service", namespace=namespace, name=f"{hub_name}-proxy-public")
    service = kube.get(path) or {}
    ip, port = service["spec"]["clusterIP"], service["spec"]["ports"][0]["port"]
    wait_until(lambda: tcp_open(ip, port), timeout=60, what=f"{ip}:{port} open")
    return f"{ip}:{port}"


def settings_value(config_map: dict[str, Any] | None, key: str) -> Any:
    """One key of the hub settings document the operator writes into `<hub>-config`."""
    for text in ((config_map or {}).get("data") or {}).values():
        try:
            document = json.loads(text)
        except ValueError:
            continue
        found = _find_key(document, key)
        if found is not None:
            return found
    return None


def _find_key(document: Any, key: str) -> Any:
    if isinstance(document, dict):
        if key in document:
            return document[key]
        for value in document.values():
            found = _find_key(value, key)
            if found is not None:
                return found
    return None
