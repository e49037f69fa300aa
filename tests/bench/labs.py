"""A user's lab started without the hub, as the baseline of spawn -> ready: the pod the hub
spawned re-created as it was (same PVCs), or `docker run` of the container the hub started
(same image, volumes, network, command and environment); ready when its HTTP port answers."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any, Final, Protocol

import requests

from stellars_operator.kube import Kube, resource_path
from tests.bench.k8s import wait_until

LAB_PORT: Final = 8888
LAB_TIMEOUT_S: Final = 180


def http_answers(url: str) -> bool:
    """Whether anything HTTP answers at url (any status: the server is listening)."""
    try:
        requests.get(url, timeout=2, allow_redirects=False)
    except requests.RequestException:
        return False
    return True


class DirectLab(Protocol):
    def start(self) -> float:
        """Start the copy, wait until its HTTP port answers; seconds it took."""

    def remove(self) -> None: ...


class PodCopy:
    """The spawned pod, copied: same spec (volumes, PVCs, security, env) and labels (the hub's
    NetworkPolicy lets only its labs reach the hub, which a lab asks as it starts), its own
    name, scheduled afresh."""

    def __init__(self, kube: Kube, pod: dict[str, Any], *, name: str) -> None:
        self.kube = kube
        self.namespace = pod["metadata"]["namespace"]
        self.name = name
        spec = json.loads(json.dumps(pod["spec"]))
        spec.pop("nodeName", None)
        self.body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": pod["metadata"].get("labels") or {},
            },
            "spec": spec,
        }
        ports = spec["containers"][0].get("ports") or [{}]
        self.port = int(ports[0].get("containerPort") or LAB_PORT)

    @property
    def path(self) -> str:
        return resource_path("v1", "Pod", namespace=self.namespace, name=self.name)

    def start(self) -> float:
        started = time.monotonic()
        self.kube.request(
            "POST", resource_path("v1", "Pod", namespace=self.namespace), body=self.body
        )
        ip = wait_until(
            lambda: ((self.kube.get(self.path) or {}).get("status") or {}).get("podIP"),
            timeout=LAB_TIMEOUT_S,
            what=f"pod {self.name} IP",
        )
        try:
            wait_until(
                lambda: http_answers(f"http://{ip}:{self.port}/"),
                timeout=LAB_TIMEOUT_S,
                what=f"pod {self.name} HTTP on {ip}:{self.port}",
            )
        except TimeoutError as error:
            status = (self.kube.get(self.path) or {}).get("status")
            raise TimeoutError(f"{error}; pod status: {json.dumps(status)[:3000]}") from None
        return time.monotonic() - started

    def remove(self) -> None:
        self.kube.request("DELETE", self.path, query={"gracePeriodSeconds": "0"})
        wait_until(lambda: self.kube.get(self.path) is None, timeout=120, what=f"{self.name} gone")


def _docker(*args: str) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


class ContainerCopy:
    """`docker run` of the lab container the hub started: same image, volumes, network, user,
    command and environment."""

    def __init__(self, inspected: dict[str, Any], *, name: str) -> None:
        self.name = name
        config, host = inspected["Config"], inspected["HostConfig"]
        self.network = host["NetworkMode"]
        args = ["run", "-d", "--name", name, "--network", self.network]
        for mount in inspected["Mounts"]:
            source = mount["Name"] if mount["Type"] == "volume" else mount["Source"]
            args += ["-v", f"{source}:{mount['Destination']}"]
        for entry in config.get("Env") or []:
            args += ["-e", entry]
        if config.get("User"):
            args += ["--user", config["User"]]
        if config.get("WorkingDir"):
            args += ["-w", config["WorkingDir"]]
        entrypoint = config.get("Entrypoint") or []
        if entrypoint:
            args += ["--entrypoint", entrypoint[0]]
        self.run_args = [*args, config["Image"], *entrypoint[1:], *(config.get("Cmd") or [])]
        self.port = LAB_PORT

    def start(self) -> float:
        started = time.monotonic()
        _docker(*self.run_args)
        template = f'{{{{(index .NetworkSettings.Networks "{self.network}").IPAddress}}}}'
        ip = _docker("inspect", "-f", template, self.name).strip()
        wait_until(
            lambda: http_answers(f"http://{ip}:{self.port}/"),
            timeout=LAB_TIMEOUT_S,
            what=f"container {self.name} HTTP",
        )
        return time.monotonic() - started

    def remove(self) -> None:
        _docker("rm", "-f", self.name)


def inspect_container(container: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = json.loads(_docker("inspect", container))
    return found[0]
