"""Helpers for the Kubernetes user stories: a small StellarsHub, waiting on its status, the
admin password, and the way in from the host to the proxy's public Service."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.kubectl import port_forward
from tests.fixtures.polling import wait_for
from tests.fixtures.ports import tcp_open
from tests.fixtures.stellarshub import HUBS, conditions_of

HUB_IMAGE = "stellars/stellars-jupyterhub-ds:0.1.0"
LAB_IMAGE = "stellars/jupyterlab-slim:0.1.0"


def small_hub(gpu_mode: str = "off") -> dict[str, Any]:
    """A StellarsHub spec that fits this small node: slim lab, small volumes, default class."""
    return {
        "hubImage": HUB_IMAGE,
        "notebookImage": LAB_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "startTimeout": 240,
        "storage": {
            "home": "100Mi",
            "workspace": "100Mi",
            "cache": "100Mi",
            "hubData": "100Mi",
            "shared": {"enabled": True, "size": "100Mi", "accessMode": "ReadWriteOnce"},
        },
        "gpu": {"mode": gpu_mode},
        "resources": {
            "hub": {"requests": {"cpu": "50m", "memory": "128Mi"}},
            "user": {
                "requests": {"cpu": "50m", "memory": "128Mi"},
                "limits": {"cpu": "1", "memory": "1Gi"},
            },
        },
    }


def apply_hub(kube: Kube, namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """What `kubectl apply -f hub.yaml` does."""
    return kube.apply(
        {
            "apiVersion": "stellars.io/v1alpha1",
            "kind": "StellarsHub",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


def hub_path(namespace: str, name: str) -> str:
    return resource_path(*HUBS, namespace=namespace, name=name)


def wait_hub(
    kube: Kube, namespace: str, name: str, check: Callable[[dict[str, Any]], bool], **kw: Any
) -> dict[str, Any]:
    """Wait until the hub passes `check`; a timeout shows the hub's last status."""
    seen: list[dict[str, Any]] = [{}]

    def probe() -> dict[str, Any] | None:
        hub = kube.get(hub_path(namespace, name))
        seen[0] = (hub or {}).get("status") or {}
        return hub if hub and check(hub) else None

    try:
        return wait_for(probe, **kw)
    except pytest.fail.Exception as error:
        raise AssertionError(f"{error}\nlast status: {seen[0]}") from None


def is_true(hub: dict[str, Any], kind: str) -> bool:
    return conditions_of(hub).get(kind, {}).get("status") == "True"


def admin_password(kube: Kube, namespace: str, hub: dict[str, Any]) -> str:
    """The admin password where status.adminPassword says it is."""
    where = hub["status"]["adminPassword"]
    secret_path = resource_path("v1", "Secret", namespace=namespace, name=where["secretName"])

    def probe() -> str | None:
        data = (kube.get(secret_path) or {}).get("data") or {}
        return base64.b64decode(data[where["key"]]).decode() if where["key"] in data else None

    return wait_for(probe, timeout=60, what=f"admin password in {where}")


class PublicService:
    """The proxy's public Service as the host reaches it: its ClusterIP (kube-proxy's iptables
    rules on this node also catch the host's own traffic), else `kubectl port-forward`."""

    def __init__(self, kube: Kube, kube_config: str, namespace: str, service: str) -> None:
        self._forward = ExitStack()
        svc = kube.get(resource_path("v1", "Service", namespace=namespace, name=service)) or {}
        ip = svc["spec"]["clusterIP"]
        port = svc["spec"]["ports"][0]["port"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not tcp_open(ip, port):
            time.sleep(1)
        if tcp_open(ip, port):
            self.address, self.via = f"{ip}:{port}", "ClusterIP"
            return
        forward = port_forward(
            f"service/{service}", port, kubeconfig=kube_config, namespace=namespace
        )
        self.address, self.via = self._forward.enter_context(forward), "port-forward"

    def close(self) -> None:
        self._forward.close()
