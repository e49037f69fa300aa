"""Spec models for what labs get beyond the basics, and the checks the CRD schema cannot make.

`spec.user` (extra volumes and mounts), `spec.network.egress` and `spec.hub.extraConfig`, and the
/dev/shm size. `spec.py` composes these models into `HubSpec`; each check here returns
`(dotted field, message)` pairs that `spec.check_hub` turns into `SpecError`s.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from kubernetes.utils import parse_quantity

from stellars_hub.lab import CACHE_DIR, HOME_DIR, SHARED_DIR, SHM_DIR, WORKSPACE_DIR

Problem = tuple[str, str]

# Volume names our lab pod already uses; an extra volume must not take one.
RESERVED_VOLUMES: Final = frozenset({"home", "workspace", "cache", "shared", "shm"})
VOLUME_SOURCES: Final = ("persistentVolumeClaim", "configMap", "secret", "emptyDir", "hostPath")
# Mount points an extra volume must neither take nor hide (the user's data lives there).
_OWN_MOUNTS: Final = (HOME_DIR, WORKSPACE_DIR, CACHE_DIR, SHARED_DIR, SHM_DIR)
# /home holds the user's own claims: an extra mount may sit beside them (/home/lab/data is
# fine), but not on or inside the workspace, the cache or the other fixed mounts.
_NO_MOUNTS_INSIDE: Final = (WORKSPACE_DIR, CACHE_DIR, SHARED_DIR, SHM_DIR)


@dataclass(frozen=True)
class UserSpec:
    """`spec.user`: volumes added to every lab, read as the pod's own volume and mount objects."""

    extra_volumes: tuple[Mapping[str, Any], ...] = ()
    extra_volume_mounts: tuple[Mapping[str, Any], ...] = ()
    allow_host_path: bool = False


@dataclass(frozen=True)
class EgressSpec:
    """`spec.network.egress`: what a lab may reach besides the hub, the proxy and DNS."""

    public_internet: bool = True
    private_networks: bool = False
    cloud_metadata: bool = False
    allow: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class NetworkSpec:
    egress: EgressSpec = field(default_factory=EgressSpec)


@dataclass(frozen=True)
class HubProcessSpec:
    """`spec.hub`: the hub process; `extra_config` maps a snippet's name to its Python source."""

    extra_config: Mapping[str, str] = field(default_factory=dict)


def memory_bytes(value: str) -> Decimal:
    """A Kubernetes quantity in bytes; ValueError when it is not one."""
    parsed: Decimal = parse_quantity(value)  # type: ignore[no-untyped-call]
    return parsed


def default_shm_size(memory_limit: str) -> str:
    """Half the memory limit (Linux's own /dev/shm default is half the RAM), in Mi."""
    mebibytes = int(memory_bytes(memory_limit) / 2 / 2**20)
    return f"{max(mebibytes, 1)}Mi"


def check_shm(shm: str | None, memory_limit: str) -> list[Problem]:
    if shm is None:
        return []
    try:
        size = memory_bytes(shm)
    except ValueError:
        return [("spec.resources.user.shm", "is not a Kubernetes quantity")]
    try:
        limit = memory_bytes(memory_limit)
    except ValueError:
        return []  # reported on limits.memory
    if size <= 0:
        return [("spec.resources.user.shm", "must be above 0")]
    if size > limit:
        return [("spec.resources.user.shm", f"{shm} exceeds limits.memory {memory_limit}")]
    return []


def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def check_user(user: UserSpec) -> list[Problem]:
    problems: list[Problem] = []
    names: set[str] = set()
    for index, volume in enumerate(user.extra_volumes):
        where = f"spec.user.extraVolumes[{index}]"
        name = str(volume.get("name") or "")
        if not name:
            problems.append((f"{where}.name", "is required"))
        elif name in RESERVED_VOLUMES:
            problems.append((f"{where}.name", f"{name} is taken by the lab's own volumes"))
        elif name in names:
            problems.append((f"{where}.name", f"{name} is used twice"))
        names.add(name)
        sources = [source for source in VOLUME_SOURCES if volume.get(source) is not None]
        if len(sources) != 1:
            problems.append((where, f"needs exactly one of {', '.join(VOLUME_SOURCES)}"))
        if "hostPath" in sources and not user.allow_host_path:
            problems.append((f"{where}.hostPath", "needs spec.user.allowHostPath: true"))
    paths: set[str] = set()
    for index, mount in enumerate(user.extra_volume_mounts):
        where = f"spec.user.extraVolumeMounts[{index}]"
        if mount.get("name") not in names:
            problems.append((f"{where}.name", "names no volume of spec.user.extraVolumes"))
        path = str(mount.get("mountPath") or "").rstrip("/") or "/"
        if not path.startswith("/") or ".." in path.split("/"):
            problems.append((f"{where}.mountPath", "must be an absolute path without .."))
        elif (
            path in _OWN_MOUNTS
            or path == "/"
            or any(_inside(path, own) for own in _NO_MOUNTS_INSIDE)
        ):
            problems.append((f"{where}.mountPath", f"{path} is taken by the lab's own volumes"))
        elif path in paths:
            problems.append((f"{where}.mountPath", f"{path} is mounted twice"))
        paths.add(path)
        sub_path = str(mount.get("subPath") or "")
        if sub_path.startswith("/") or ".." in sub_path.split("/"):
            problems.append((f"{where}.subPath", "must be a relative path without .."))
    return problems


def check_egress(egress: EgressSpec) -> list[Problem]:
    problems: list[Problem] = []
    for index, rule in enumerate(egress.allow):
        where = f"spec.network.egress.allow[{index}]"
        cidr = rule.get("cidr")
        selectors = rule.get("namespaceSelector") is not None or rule.get("podSelector") is not None
        if (cidr is not None) == selectors:
            problems.append((where, "needs either a cidr or namespace/pod selectors"))
        if cidr is not None:
            try:
                ipaddress.IPv4Network(str(cidr), strict=False)
            except ValueError:
                problems.append((f"{where}.cidr", f"{cidr} is not an IPv4 block"))
        for number, port in enumerate(rule.get("ports") or []):
            end = port.get("endPort")
            if end is not None and end < port.get("port", 0):
                problems.append((f"{where}.ports[{number}].endPort", "is below port"))
    return problems


def check_extra_config(extra_config: Mapping[str, str]) -> list[Problem]:
    """Each snippet compiles (a pure check: nothing runs); the error names the line."""
    problems: list[Problem] = []
    for name, source in sorted(extra_config.items()):
        try:
            compile(source, f"extraConfig {name}", "exec")
        except SyntaxError as error:
            problems.append((f"spec.hub.extraConfig.{name}", f"line {error.lineno}: {error.msg}"))
        except ValueError as error:  # a NUL byte in the source
            problems.append((f"spec.hub.extraConfig.{name}", str(error)))
    return problems
