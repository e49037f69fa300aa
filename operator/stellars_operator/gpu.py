"""GPU detection on Kubernetes: Node objects in, one decision per hub out. Pure.

Vocabulary (docs/architecture.md, "GPU vocabulary"): the spec's `mode` and the nodes give a
`GpuDecision`; its `placement` (the contract's `GpuPlacement`) is what labs get (`gpu.json`),
the rest (availability, condition reason, nodes) is what the status reports.

Allocatable resources are the authority (the scheduler enforces them); labels only describe.
A GPU label without an allocatable resource means the hardware is there but no device plugin
advertises it: reported on the node, never requested, because no pod could be scheduled.

Mode semantics: `off` never requests GPUs. `auto` requests them only when a Ready, schedulable
node offers the resource. `on` trusts the admin (as the Docker path's mode 1 does): the resource
is requested even when no node offers it now, so user pods wait (Pending) until one does;
`GPUAvailable` then says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stellars_hub.contract import DEFAULT_GPU_RESOURCE, GpuMode, GpuPlacement
from stellars_operator.spec import GpuSpec, quantity

# Resource names that are GPUs, in order of preference when several are offered.
PREFERRED_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")
MIG_PREFIX = "nvidia.com/mig-"

# Labels that say "a GPU is here" (compared as noted): name -> value required (None: any).
HARDWARE_LABELS: Mapping[str, str | None] = {
    "nvidia.com/gpu.present": "true",
    "feature.node.kubernetes.io/pci-10de.present": "true",
    "feature.node.kubernetes.io/pci-1002.present": "true",
    "cloud.google.com/gke-accelerator": None,
    "k8s.amazonaws.com/accelerator": None,
}
PRODUCT_LABELS = (
    "nvidia.com/gpu.product",
    "cloud.google.com/gke-accelerator",
    "k8s.amazonaws.com/accelerator",
)
# Taints that describe a node's transient condition, not what a GPU pod must tolerate.
_CONDITION_TAINT_PREFIX = "node.kubernetes.io/"


def is_gpu_resource(name: str) -> bool:
    return name in PREFERRED_RESOURCES or name.startswith(MIG_PREFIX)


@dataclass(frozen=True)
class NodeGpu:
    """What one node says about GPUs."""

    name: str
    ready: bool
    schedulable: bool
    labels: Mapping[str, str]
    resources: Mapping[str, int]
    hardware_labels: tuple[str, ...]
    product: str | None
    memory_mib: str | None
    label_count: str | None
    taints: tuple[Mapping[str, str], ...]

    @property
    def counts(self) -> bool:
        return self.ready and self.schedulable

    @property
    def gpu_related(self) -> bool:
        return bool(self.resources or self.hardware_labels)

    def note(self) -> str:
        if not self.ready:
            return "not Ready: ignored"
        if not self.schedulable:
            return "unschedulable (cordoned): ignored"
        if self.resources:
            offered = ", ".join(f"{n} {r}" for r, n in sorted(self.resources.items()))
            model = f" ({self.product})" if self.product else ""
            return f"{offered} allocatable{model}"
        return (
            f"GPU hardware labelled ({', '.join(self.hardware_labels)}) but no GPU resource "
            "allocatable: device plugin missing"
        )

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "name": self.name,
            "ready": self.ready,
            "schedulable": self.schedulable,
            "resources": {k: str(v) for k, v in sorted(self.resources.items())},
            "note": self.note(),
        }
        if self.product:
            status["product"] = self.product
        if self.memory_mib:
            status["memoryMiB"] = self.memory_mib
        if self.label_count:
            status["labelCount"] = self.label_count
        return status


def _is_ready(node: Mapping[str, Any]) -> bool:
    for condition in (node.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


def _gpu_resources(node: Mapping[str, Any]) -> dict[str, int]:
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    found = {}
    for name, value in allocatable.items():
        if not is_gpu_resource(name):
            continue
        try:
            count = int(quantity(str(value)))
        except ValueError:
            continue
        if count > 0:
            found[name] = count
    return found


def read_node(node: Mapping[str, Any]) -> NodeGpu:
    """One Node object (as the API returns it) to what it says about GPUs."""
    meta = node.get("metadata") or {}
    labels: Mapping[str, str] = meta.get("labels") or {}
    spec = node.get("spec") or {}
    hardware = tuple(
        key
        for key, wanted in HARDWARE_LABELS.items()
        if key in labels and (wanted is None or str(labels[key]).lower() == wanted) and labels[key]
    )
    taints = tuple(
        {k: str(v) for k, v in taint.items() if k in ("key", "value", "effect")}
        for taint in spec.get("taints") or []
        if taint.get("effect") in ("NoSchedule", "NoExecute")
        and not str(taint.get("key", "")).startswith(_CONDITION_TAINT_PREFIX)
    )
    return NodeGpu(
        name=str(meta.get("name", "")),
        ready=_is_ready(node),
        schedulable=not spec.get("unschedulable", False),
        labels=labels,
        resources=_gpu_resources(node),
        hardware_labels=hardware,
        product=next((labels[k] for k in PRODUCT_LABELS if labels.get(k)), None),
        memory_mib=labels.get("nvidia.com/gpu.memory"),
        label_count=labels.get("nvidia.com/gpu.count"),
        taints=taints,
    )


def node_essentials(node: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a Node that GPU detection reads (what the operator keeps in memory)."""
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    status = node.get("status") or {}
    return {
        "metadata": {"name": meta.get("name"), "labels": dict(meta.get("labels") or {})},
        "spec": {
            "unschedulable": bool(spec.get("unschedulable", False)),
            "taints": [dict(t) for t in spec.get("taints") or []],
        },
        "status": {
            "allocatable": {
                k: v for k, v in (status.get("allocatable") or {}).items() if is_gpu_resource(k)
            },
            "conditions": [
                {"type": c.get("type"), "status": c.get("status")}
                for c in status.get("conditions") or []
                if c.get("type") == "Ready"
            ],
            # Not GPU data, but the labs' egress policy needs the nodes' own addresses.
            "addresses": [
                {"type": a.get("type"), "address": a.get("address")}
                for a in status.get("addresses") or []
                if a.get("type") in ("InternalIP", "ExternalIP")
            ],
        },
    }


def is_gpu_taint(taint: Mapping[str, str]) -> bool:
    """A taint that keeps non-GPU pods off a GPU node (nvidia.com/gpu on GKE and EKS, `sku=gpu`
    on AKS, MIG resources): labs that ask for a GPU tolerate those. Any other taint (a team's
    `dedicated=...`) is the admin's decision: `spec.gpu.tolerations` tolerates it explicitly."""
    key, value = taint.get("key", ""), taint.get("value", "")
    return is_gpu_resource(key) or key.endswith("/gpu") or "gpu" in value.lower().split("-")


def tolerations_for(taints: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Tolerations for the GPU taints among these, deduplicated and sorted."""
    seen: dict[tuple[str, str, str], dict[str, str]] = {}
    for taint in (t for t in taints if is_gpu_taint(t)):
        key, value, effect = taint.get("key", ""), taint.get("value", ""), taint.get("effect", "")
        toleration = {"key": key, "operator": "Equal", "value": value, "effect": effect}
        if not value:
            toleration = {"key": key, "operator": "Exists", "effect": effect}
        seen[(key, value, effect)] = toleration
    return [seen[k] for k in sorted(seen)]


@dataclass(frozen=True)
class GpuDecision:
    """One hub's GPU decision: what its labs get, whether a node offers it now, and why.

    `status.gpu` (`to_status`) and the GPUAvailable condition (`status.gpu_condition`) are
    made from one decision and written in one patch (`status.status_patch`), so they agree.
    """

    placement: GpuPlacement
    available: bool
    code: str  # CamelCase reason for the GPUAvailable condition
    nodes: tuple[NodeGpu, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.placement.enabled

    @property
    def reason(self) -> str:
        return self.placement.reason

    @property
    def resource(self) -> str | None:
        return self.placement.resource if self.enabled else None

    @property
    def count(self) -> int:
        return self.placement.count if self.enabled else 0

    @property
    def node_selector(self) -> Mapping[str, str]:
        return self.placement.node_selector

    @property
    def tolerations(self) -> tuple[Mapping[str, Any], ...]:
        return self.placement.tolerations

    @property
    def summary(self) -> str:
        """One short phrase for the printer column."""
        if not self.enabled:
            return "none"
        offering = [n for n in self.nodes if n.counts and self.resource in n.resources]
        total = sum(n.resources[self.resource] for n in offering if self.resource)
        if not offering:
            return f"{self.resource} (none offered)"
        return f"{total}x {self.resource} on {len(offering)} node(s)"

    def to_settings(self) -> dict[str, Any]:
        """The `gpu.json` the hub reads at every spawn (docs/hub-settings.md)."""
        return self.placement.to_json()

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "summary": self.summary,
            "enabled": self.enabled,
            "available": self.available,
            "count": self.count,
            "reason": self.reason,
            "nodes": [n.to_status() for n in self.nodes],
        }
        if self.enabled and self.resource:
            status["resource"] = self.resource
        return status


def _choose_resource(offered: Mapping[str, int], wanted: str | None) -> str | None:
    if wanted:
        return wanted if wanted in offered else None
    for name in PREFERRED_RESOURCES:
        if name in offered:
            return name
    migs = sorted((-total, name) for name, total in offered.items() if name.startswith(MIG_PREFIX))
    return migs[0][1] if migs else None


def _matches(labels: Mapping[str, str], selector: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _none(code: str, reason: str, nodes: tuple[NodeGpu, ...]) -> GpuDecision:
    return GpuDecision(
        placement=GpuPlacement.disabled(reason), available=False, code=code, nodes=nodes
    )


def decide(nodes: Sequence[Mapping[str, Any]], gpu: GpuSpec) -> GpuDecision:
    """The GPU decision for a hub with this GPU spec, given the cluster's Nodes."""
    seen = tuple(sorted((n for n in map(read_node, nodes) if n.gpu_related), key=lambda n: n.name))
    if gpu.mode == GpuMode.OFF:
        return _none("ModeOff", "GPU mode is off", seen)
    if gpu.per_user == 0:
        return _none("PerUserZero", "gpu.perUser is 0", seen)

    candidates = [n for n in seen if n.counts and _matches(n.labels, gpu.node_selector)]
    offered: dict[str, int] = {}
    for node in candidates:
        for name, count in node.resources.items():
            if count >= gpu.per_user:
                offered[name] = offered.get(name, 0) + count
    resource = _choose_resource(offered, gpu.resource_name)
    if resource is not None:
        hosts = [n for n in candidates if n.resources.get(resource, 0) >= gpu.per_user]
        where = ", ".join(n.name for n in hosts)
        from_taints = tolerations_for(t for n in hosts for t in n.taints)
        placement = GpuPlacement(
            enabled=True,
            reason=f"{offered[resource]} {resource} allocatable on node(s) {where}",
            resource=resource,
            count=gpu.per_user,
            node_selector=dict(gpu.node_selector),
            # the spec's own first, then what the GPU nodes' taints require
            tolerations=(
                *gpu.tolerations,
                *(t for t in from_taints if t not in gpu.tolerations),
            ),
        )
        return GpuDecision(placement=placement, available=True, code="GpuResourceFound", nodes=seen)

    code, why = _why_none(seen, candidates, gpu)
    if gpu.mode == GpuMode.ON:
        wanted = gpu.resource_name or DEFAULT_GPU_RESOURCE
        placement = GpuPlacement(
            enabled=True,
            reason=f"GPU mode is on but {why}; user pods request {wanted} and wait for a node",
            resource=wanted,
            count=gpu.per_user,
            node_selector=dict(gpu.node_selector),
            tolerations=tuple(gpu.tolerations),
        )
        return GpuDecision(placement=placement, available=False, code=code, nodes=seen)
    return _none(code, why, seen)


def _why_none(
    seen: Sequence[NodeGpu], candidates: Sequence[NodeGpu], gpu: GpuSpec
) -> tuple[str, str]:
    """Condition reason and message for "no usable GPU resource"."""
    if not seen:
        return "NoGpuNodes", "no node shows a GPU"
    if not candidates:
        if gpu.node_selector and any(n.counts for n in seen):
            return "NoMatchingNode", "no Ready, schedulable GPU node matches gpu.nodeSelector"
        return "NoSchedulableGpuNode", "no GPU node is Ready and schedulable"
    if not any(n.resources for n in candidates):
        names = ", ".join(n.name for n in candidates)
        return (
            "DevicePluginMissing",
            f"GPU hardware seen on node(s) {names} but no device plugin advertises a resource",
        )
    if gpu.resource_name and not any(gpu.resource_name in n.resources for n in candidates):
        return "ResourceNotOffered", f"no node offers {gpu.resource_name}"
    return "ResourceNotOffered", f"no node offers {gpu.per_user} GPU(s) of one kind (gpu.perUser)"
