"""KubeSpawner configuration for the Kubernetes path, as pure functions of the settings.

`kube_spawner_traits` turns the hub's settings and the operator's `settings.json` into KubeSpawner
trait values; `user_claims` names and sizes each user's three claims; `apply_gpu_placement`
edits a pod by the `gpu.json` placement. `kube_spawner.py` wires these into JupyterHub.

In the templates `{username}` is the user's safe name (`names.safe_name`), so pods and claims
are `<hub>-jupyter-<name>` and `<hub>--<name>-home|workspace|cache` (claim_names.py,
docs/hub-settings.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kubernetes_asyncio.client.models import V1EnvVar, V1OwnerReference, V1Toleration
from kubespawner.utils import get_k8s_model

from stellars_hub.claim_names import claim_name_template, old_claim_name_template
from stellars_hub.contract import GpuPlacement, LabSettings
from stellars_hub.lab import (
    HOME_DIR,
    LAB_GID,
    LAB_UID,
    SHARED_DIR,
    SHM_DIR,
    USER_VOLUMES,
    WORKSPACE_DIR,
    gpu_environment,
    service_environment,
)
from stellars_hub.settings import HubSettings

COMPONENT_KEY: Final = "app.kubernetes.io/component"
SINGLEUSER: Final = "singleuser"
SHARED_VOLUME: Final = "shared"
SHM_VOLUME: Final = "shm"

# What PodSecurity "restricted" asks of every container.
RESTRICTED_CONTAINER: Final = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
RESTRICTED_POD: Final = {
    "runAsNonRoot": True,
    "runAsUser": LAB_UID,
    "runAsGroup": LAB_GID,
    "fsGroup": LAB_GID,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class ClaimTemplate:
    """One per-user claim: its name template (and older hubs' one), where it is mounted, its
    size."""

    volume: str
    name_template: str
    old_name_template: str
    mount_path: str
    size: str
    storage_class: str | None


def pod_name_template(lab: LabSettings) -> str:
    return f"{lab.hub_name}-jupyter-{{username}}"


def user_claims(lab: LabSettings) -> tuple[ClaimTemplate, ...]:
    """Home, workspace and cache, in mount order (home first: the others are inside it)."""
    return tuple(
        ClaimTemplate(
            volume=suffix,
            name_template=claim_name_template(lab.hub_name, suffix),
            old_name_template=old_claim_name_template(lab.hub_name, suffix),
            mount_path=mount_path,
            size=lab.storage.size(suffix),
            storage_class=lab.storage.storage_class,
        )
        for suffix, mount_path in USER_VOLUMES
    )


def _volumes(lab: LabSettings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    claims = user_claims(lab)
    volumes: list[dict[str, Any]] = [
        {"name": claim.volume, "persistentVolumeClaim": {"claimName": claim.name_template}}
        for claim in claims
    ]
    mounts: list[dict[str, Any]] = [
        {"name": claim.volume, "mountPath": claim.mount_path} for claim in claims
    ]
    if lab.shared_claim:
        volumes.append(
            {"name": SHARED_VOLUME, "persistentVolumeClaim": {"claimName": lab.shared_claim}}
        )
        mounts.append({"name": SHARED_VOLUME, "mountPath": SHARED_DIR})
    if lab.shm_size:
        # Memory-backed, sized: `df /dev/shm` in the lab shows this size, and what is written
        # there counts against the lab's memory limit.
        volumes.append(
            {"name": SHM_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": lab.shm_size}}
        )
        mounts.append({"name": SHM_VOLUME, "mountPath": SHM_DIR})
    volumes += [dict(volume) for volume in lab.extra_volumes]
    mounts += [dict(mount) for mount in lab.extra_volume_mounts]
    return volumes, mounts


def _prepare_home(lab: LabSettings) -> dict[str, Any]:
    """An init container that makes /home/lab on a fresh home claim.

    The workspace and cache claims are mounted inside /home; without this the container
    runtime would create /home/lab as root and the lab user could not write its own home.
    """
    nested = " ".join(path for _, path in USER_VOLUMES if path != HOME_DIR)
    return {
        "name": "prepare-home",
        "image": lab.notebook_image,
        "imagePullPolicy": lab.image_pull_policy,
        "command": ["sh", "-c", f"mkdir -p {nested}"],
        # The lab image's WORKDIR (/home/lab/workspace) would be created by the runtime, as
        # root, inside the home claim before the command runs: start in the claim's root.
        "workingDir": HOME_DIR,
        "volumeMounts": [{"name": "home", "mountPath": HOME_DIR}],
        "securityContext": dict(RESTRICTED_CONTAINER),
    }


def kube_spawner_traits(settings: HubSettings, lab: LabSettings) -> dict[str, Any]:
    """KubeSpawner trait values for this hub's labs (GPU is applied per spawn)."""
    volumes, mounts = _volumes(lab)
    environment = service_environment(settings)
    # KubeSpawner formats env values as templates; the operator's values are literal text.
    environment.update(
        {name: value.replace("{", "{{").replace("}", "}}") for name, value in lab.extra_env.items()}
    )
    return {
        "namespace": settings.namespace,
        "image": lab.notebook_image,
        "image_pull_policy": lab.image_pull_policy,
        "pod_name_template": pod_name_template(lab),
        "service_account": lab.user_service_account,
        # Labs have no business with the Kubernetes API.
        "automount_service_account_token": False,
        # The spawner creates three claims itself (StellarsKubeSpawner), and keeps them when
        # a user is deleted: user data goes only when the hub's spec says so.
        "storage_pvc_ensure": False,
        "delete_pvc": False,
        "volumes": volumes,
        "volume_mounts": mounts,
        "init_containers": [_prepare_home(lab)],
        "working_dir": WORKSPACE_DIR,
        "notebook_dir": WORKSPACE_DIR,
        "environment": environment,
        # Kubernetes quantities as the operator wrote them ("100m", "2Gi"), not re-parsed.
        "extra_resource_guarantees": dict(lab.requests),
        "extra_resource_limits": dict(lab.limits),
        "start_timeout": lab.start_timeout,
        # common_labels win over KubeSpawner's defaults; the component label is set by
        # component_label on pods (and watched by KubeSpawner), so both must agree.
        "common_labels": dict(lab.labels),
        "component_label": lab.labels.get(COMPONENT_KEY, SINGLEUSER),
        "uid": LAB_UID,
        "gid": LAB_GID,
        "fs_gid": LAB_GID,
        "allow_privilege_escalation": False,
        "container_security_context": dict(RESTRICTED_CONTAINER),
        "pod_security_context": dict(RESTRICTED_POD),
        **({"modify_pod_hook": PodOwner(dict(lab.owner))} if lab.owner else {}),
    }


@dataclass(frozen=True)
class PodOwner:
    """KubeSpawner's modify_pod_hook: the lab pod names the StellarsHub as its owner, so a pod
    created while (or after) the hub is deleted is garbage-collected with it."""

    owner: dict[str, str]

    def __call__(self, spawner: Any, pod: Any) -> Any:
        reference = V1OwnerReference(
            api_version=self.owner["apiVersion"],
            kind=self.owner["kind"],
            name=self.owner["name"],
            uid=self.owner["uid"],
        )
        pod.metadata.owner_references = [*(pod.metadata.owner_references or []), reference]
        return pod


def apply_gpu_placement(pod: Any, placement: GpuPlacement) -> Any:
    """Give the lab container its GPU (limit, node selector, tolerations) or none at all.

    GPUs are an extended resource: Kubernetes takes them from limits only.
    """
    container = pod.spec.containers[0]
    env = gpu_environment(placement)
    kept = [item for item in container.env or [] if _env_name(item) not in env]
    container.env = kept + [V1EnvVar(name=name, value=value) for name, value in env.items()]
    if not placement.enabled:
        return pod
    limits = dict(container.resources.limits or {})
    limits[placement.resource] = str(placement.count)
    container.resources.limits = limits
    pod.spec.node_selector = {**(pod.spec.node_selector or {}), **placement.node_selector}
    tolerations = [get_k8s_model(V1Toleration, dict(item)) for item in placement.tolerations]
    pod.spec.tolerations = list(pod.spec.tolerations or []) + tolerations
    return pod


def _env_name(item: Any) -> str | None:
    name = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
    return name if isinstance(name, str) else None


def use_claim_names(pod: Any, claim_names: Mapping[str, str]) -> Any:
    """Point the pod's user volumes (by volume name) at the claims the spawn chose: an older
    user's claim may still carry the old name (claim_names.py)."""
    for volume in pod.spec.volumes or []:
        claim = getattr(volume, "persistent_volume_claim", None)
        if claim is None or volume.name not in claim_names:
            continue
        # KubeSpawner keeps a volume's source as the dict it was configured with.
        if isinstance(claim, dict):
            claim["claimName"] = claim_names[volume.name]
        else:
            claim.claim_name = claim_names[volume.name]
    return pod
