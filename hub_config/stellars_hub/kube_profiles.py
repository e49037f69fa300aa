"""A chosen profile applied to a lab pod on Kubernetes (image, resources, placement, env).

The profile's GPUs go through `apply_gpu_placement`, the same edit as the hub-wide GPU
placement, so a profile's GPU pod looks exactly like one of the single-shape hub.
"""

from __future__ import annotations

from typing import Any

from kubernetes_asyncio.client.models import V1EnvVar, V1Toleration
from kubespawner.utils import get_k8s_model

from stellars_hub.contract import GpuPlacement
from stellars_hub.kube_spawner_config import apply_gpu_placement
from stellars_hub.profiles import Profile


def profile_placement(profile: Profile) -> GpuPlacement:
    """The profile's GPUs as a placement (its node selector and tolerations are the pod's)."""
    if profile.gpu is None:
        return GpuPlacement.disabled(f"profile {profile.slug} has no GPU")
    return GpuPlacement(
        enabled=True,
        reason=f"profile {profile.slug}",
        resource=profile.gpu.resource,
        count=profile.gpu.count,
    )


def apply_profile(pod: Any, profile: Profile) -> Any:
    """Edit the pod KubeSpawner made into the profile's shape."""
    container = pod.spec.containers[0]
    if profile.image:
        container.image = profile.image
    if profile.requests:
        container.resources.requests = {**(container.resources.requests or {}), **profile.requests}
    if profile.limits:
        container.resources.limits = {**(container.resources.limits or {}), **profile.limits}
    if profile.extra_env:
        kept = [e for e in container.env or [] if getattr(e, "name", None) not in profile.extra_env]
        container.env = kept + [V1EnvVar(name=k, value=v) for k, v in profile.extra_env.items()]
    if profile.node_selector:
        pod.spec.node_selector = {**(pod.spec.node_selector or {}), **profile.node_selector}
    if profile.tolerations:
        added = [get_k8s_model(V1Toleration, dict(item)) for item in profile.tolerations]
        pod.spec.tolerations = list(pod.spec.tolerations or []) + added
    return apply_gpu_placement(pod, profile_placement(profile))
