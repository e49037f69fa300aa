"""Helpers for the Kubernetes user stories: a small StellarsHub, waiting on its status, the
admin password, and the way in from the host to the proxy's public Service."""

from __future__ import annotations

import base64
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.cluster import cluster_binary
from tests.integration.operator.conftest import HUBS, wait_for

__all__ = ["wait_for"]

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


def conditions(hub: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in (hub.get("status") or {}).get("conditions") or []}


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
    return conditions(hub).get(kind, {}).get("status") == "True"


def admin_password(kube: Kube, namespace: str, hub: dict[str, Any]) -> str:
    """The admin password where status.adminPassword says it is."""
    where = hub["status"]["adminPassword"]
    secret_path = resource_path("v1", "Secret", namespace=namespace, name=where["secretName"])

    def probe() -> str | None:
        data = (kube.get(secret_path) or {}).get("data") or {}
        return base64.b64decode(data[where["key"]]).decode() if where["key"] in data else None

    return wait_for(probe, timeout=60, what=f"admin password in {where}")


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PublicService:
    """The proxy's public Service as the host reaches it: its ClusterIP (kube-proxy's iptables
    rules on this node also catch the host's own traffic), else `kubectl port-forward`."""

    def __init__(self, kube: Kube, kube_config: str, namespace: str, service: str) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        svc = kube.get(resource_path("v1", "Service", namespace=namespace, name=service)) or {}
        ip = svc["spec"]["clusterIP"]
        port = svc["spec"]["ports"][0]["port"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _tcp_open(ip, port):
            time.sleep(1)
        if _tcp_open(ip, port):
            self.address, self.via = f"{ip}:{port}", "ClusterIP"
            return
        local = _free_port()
        self.process = subprocess.Popen(
            [
                cluster_binary("kubectl"),
                "--kubeconfig",
                kube_config,
                "-n",
                namespace,
                "port-forward",
                f"service/{service}",
                f"{local}:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _tcp_open("127.0.0.1", local), timeout=20, what="port-forward")
        self.address, self.via = f"127.0.0.1:{local}", "port-forward"

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
