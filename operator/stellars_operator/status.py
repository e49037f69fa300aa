"""The StellarsHub status: conditions and phase from what was observed. Pure.

The clock is an argument (`now`), and a condition keeps its lastTransitionTime while its
status stays the same, so re-running with the same observations changes nothing.

`status.gpu` and the GPUAvailable condition are computed from one `GpuDecision` and written in
one patch (`status_patch`), whichever path writes them: the reconcile or the Node watcher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stellars_operator.constants import SECRET_ADMIN_PASSWORD
from stellars_operator.gpu import GpuDecision
from stellars_operator.labels import ChildNames
from stellars_operator.profiles import hub_profiles, profiles_status
from stellars_operator.spec import Hub, SpecError

PHASES = ("Pending", "Progressing", "Ready", "Degraded")
# Written together or not at all: both carry the same GPU decision.
_GPU_FIELDS = ("gpu", "conditions")


@dataclass(frozen=True)
class DeploymentState:
    """What a Deployment's status says: missing, rolling out, or available."""

    name: str
    exists: bool
    available: bool
    message: str

    @classmethod
    def observe(cls, name: str, deployment: Mapping[str, Any] | None) -> DeploymentState:
        if deployment is None:
            return cls(name=name, exists=False, available=False, message=f"{name} does not exist")
        meta = deployment.get("metadata") or {}
        status = deployment.get("status") or {}
        wanted = int((deployment.get("spec") or {}).get("replicas", 1))
        ready = int(status.get("availableReplicas") or 0)
        updated = int(status.get("updatedReplicas") or 0)
        current = int(status.get("observedGeneration") or 0) >= int(meta.get("generation") or 0)
        available = any(
            c.get("type") == "Available" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        done = available and current and ready >= wanted and updated >= wanted
        return cls(
            name=name,
            exists=True,
            available=done,
            message=f"{name}: {ready}/{wanted} available, {updated}/{wanted} updated",
        )


@dataclass(frozen=True)
class Observation:
    """Everything the status is computed from."""

    hub: DeploymentState
    proxy: DeploymentState
    gpu: GpuDecision
    problems: Sequence[SpecError] = ()
    apply_error: str | None = None


def _condition(
    kind: str, ok: bool, reason: str, message: str, *, generation: int
) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
    }


def desired_conditions(hub: Hub, seen: Observation) -> list[dict[str, Any]]:
    """The four conditions, without transition times."""
    gen = hub.generation
    if seen.problems:
        detail = "; ".join(str(p) for p in seen.problems)
        degraded = _condition("Degraded", True, "InvalidSpec", detail, generation=gen)
    elif seen.apply_error:
        degraded = _condition("Degraded", True, "ApplyFailed", seen.apply_error, generation=gen)
    else:
        degraded = _condition("Degraded", False, "AsExpected", "children applied", generation=gen)
    is_degraded = degraded["status"] == "True"

    waiting = [d for d in (seen.hub, seen.proxy) if not d.available]
    if is_degraded:
        ready = _condition("Ready", False, "Degraded", degraded["message"], generation=gen)
        progressing = _condition(
            "Progressing", False, "Blocked", degraded["message"], generation=gen
        )
    elif waiting:
        reason = "HubNotAvailable" if not seen.hub.available else "ProxyNotAvailable"
        message = "; ".join(d.message for d in waiting)
        ready = _condition("Ready", False, reason, message, generation=gen)
        progressing = _condition("Progressing", True, "RollingOut", message, generation=gen)
    else:
        message = f"{seen.hub.message}; {seen.proxy.message}"
        ready = _condition("Ready", True, "HubAndProxyAvailable", message, generation=gen)
        progressing = _condition("Progressing", False, "RolloutComplete", message, generation=gen)

    return [ready, progressing, degraded, gpu_condition(hub, seen.gpu), exposure_condition(hub)]


def exposure_condition(hub: Hub) -> dict[str, Any]:
    """InsecureExposure: whether the login page is reachable from outside the cluster in clear
    text (an Ingress without TLS, or the proxy's own plain-HTTP port on a NodePort or
    LoadBalancer Service). A warning: the hub works, passwords cross the network readable."""
    exposure = hub.spec.exposure
    gen = hub.generation
    if exposure.service_type in ("NodePort", "LoadBalancer"):
        message = (
            f"spec.exposure.serviceType {exposure.service_type} serves the login page over plain "
            "HTTP: terminate TLS in front of it, or use ClusterIP with an Ingress with TLS"
        )
        return _condition("InsecureExposure", True, "PlainHTTPService", message, generation=gen)
    if exposure.ingress.enabled and not exposure.ingress.tls_secret_name:
        message = (
            f"the Ingress for {exposure.ingress.host} has no TLS: passwords cross the network "
            "readable; set spec.exposure.ingress.tlsSecretName"
        )
        return _condition("InsecureExposure", True, "PlainHTTPIngress", message, generation=gen)
    if exposure.ingress.enabled:
        message = f"the Ingress serves {exposure.ingress.host} with TLS"
        return _condition("InsecureExposure", False, "IngressTLS", message, generation=gen)
    message = "reachable inside the cluster only (ClusterIP, no Ingress)"
    return _condition("InsecureExposure", False, "ClusterInternal", message, generation=gen)


def gpu_condition(hub: Hub, gpu: GpuDecision) -> dict[str, Any]:
    """GPUAvailable: whether a node offers what the labs request, from the same decision."""
    gen = hub.generation
    return _condition("GPUAvailable", gpu.available, gpu.code, gpu.reason, generation=gen)


def merge_conditions(
    previous: Sequence[Mapping[str, Any]], desired: Sequence[Mapping[str, Any]], *, now: str
) -> list[dict[str, Any]]:
    """Desired conditions with lastTransitionTime kept when the status did not change."""
    before = {c.get("type"): c for c in previous}
    merged = []
    for condition in desired:
        old = before.get(condition["type"])
        same = old is not None and old.get("status") == condition["status"]
        since = old.get("lastTransitionTime") if same and old else None
        merged.append({**condition, "lastTransitionTime": since or now})
    return merged


def phase_of(seen: Observation) -> str:
    if seen.problems or seen.apply_error:
        return "Degraded"
    if seen.hub.available and seen.proxy.available:
        return "Ready"
    if seen.hub.exists or seen.proxy.exists:
        return "Progressing"
    return "Pending"


def hub_url(hub: Hub) -> str:
    """Where users open the hub: the Ingress host, else the proxy's in-cluster Service."""
    path = f"{hub.spec.base_path}/"
    ingress = hub.spec.exposure.ingress
    if ingress.enabled and ingress.host:
        scheme = "https" if ingress.tls_secret_name else "http"
        return f"{scheme}://{ingress.host}{path}"
    return f"http://{ChildNames(hub.name).proxy_public}.{hub.namespace}.svc{path}"


# The hub sets the admin's password when it creates the account; later it is the account's own.
FIRST_START_NOTE = (
    "used once, when the hub creates the admin account at its first start; changing it later "
    "does not change the account's password (change that in the hub, /hub/change-password)"
)


def admin_password_location(hub: Hub) -> dict[str, str]:
    ref = hub.spec.admin.password_secret_ref
    if ref is not None:
        return {"secretName": ref.name, "key": ref.key, "note": FIRST_START_NOTE}
    return {
        "secretName": ChildNames(hub.name).secret,
        "key": SECRET_ADMIN_PASSWORD,
        "note": FIRST_START_NOTE,
    }


def render_status(
    hub: Hub, seen: Observation, *, previous: Mapping[str, Any], now: str
) -> dict[str, Any]:
    """The whole `status` of a StellarsHub."""
    return {
        "phase": phase_of(seen),
        "observedGeneration": hub.generation,
        "url": hub_url(hub),
        "adminPassword": admin_password_location(hub),
        "gpu": gpu_status(hub, seen.gpu),
        "conditions": merge_conditions(
            previous.get("conditions") or [], desired_conditions(hub, seen), now=now
        ),
    }


def gpu_status_patch(
    hub: Hub, gpu: GpuDecision, *, previous: Mapping[str, Any], now: str
) -> dict[str, Any]:
    """Only `status.gpu` and the GPUAvailable condition: what the Node watcher changes."""
    conditions = previous.get("conditions") or []
    others = [c for c in conditions if c.get("type") != "GPUAvailable"]
    merged = merge_conditions(conditions, [gpu_condition(hub, gpu)], now=now)
    return status_patch(previous, {"gpu": gpu_status(hub, gpu), "conditions": [*others, *merged]})


def gpu_status(hub: Hub, gpu: GpuDecision) -> dict[str, Any]:
    """`status.gpu`: the decision and the spawn profiles it offers (with the spec's problems)."""
    return {**gpu.to_status(), **profiles_status(hub_profiles(hub.spec, gpu.nodes))}


def status_patch(previous: Mapping[str, Any], status: Mapping[str, Any]) -> dict[str, Any]:
    """The merge patch of `status` that turns `previous` into it; empty when nothing changed.

    `gpu` and `conditions` go together whenever either changed, so no reader ever sees
    `status.gpu` of one decision next to a GPUAvailable condition of another. Keys that
    `status.gpu` no longer has are written as null: a merge patch keeps what it does not name.
    """
    changed = {key: value for key, value in status.items() if previous.get(key) != value}
    if any(key in changed for key in _GPU_FIELDS):
        changed.update({key: status[key] for key in _GPU_FIELDS if key in status})
    if "gpu" in changed:
        gone = {key: None for key in previous.get("gpu") or {} if key not in changed["gpu"]}
        changed["gpu"] = {**gone, **changed["gpu"]}
    return changed
