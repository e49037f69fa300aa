"""ConfigMaps `<hub>-config` (settings.json, spec.hub.extraConfig's snippets) and `<hub>-gpu`
(gpu.json), and the config hash.

Both files are the contract's objects (`stellars_hub.contract`) written with `to_json`, so the
hub reads back exactly what is built here. The GPU placement lives in its own ConfigMap,
outside the hash: the hub reads it at every spawn, so a change of GPU nodes never restarts it.
"""

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from stellars_hub.contract import LabSettings, SignupPolicy, UserStorage
from stellars_hub.profiles import PROFILES_KEY, profiles_to_json
from stellars_operator.constants import (
    API_VERSION,
    EXTRA_CONFIG_KEY_PREFIX,
    GPU_SETTINGS_FILE,
    KIND,
    SETTINGS_FILE,
)
from stellars_operator.gpu import GpuDecision
from stellars_operator.labels import ChildNames, standard_labels
from stellars_operator.profiles import hub_profiles
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub
from stellars_operator.spec_lab import default_shm_size


def lab_settings(hub: Hub) -> LabSettings:
    """What this hub's labs get: the settings.json of docs/hub-settings.md."""
    names = ChildNames(hub.name)
    spec = hub.spec
    storage = spec.storage
    shared_claim = None
    if storage.shared.enabled:
        shared_claim = storage.shared.existing_claim or names.shared
    return LabSettings(
        hub_name=hub.name,
        notebook_image=spec.notebook_image,
        image_pull_policy=spec.image_pull_policy,
        user_service_account=names.user_service_account,
        storage=UserStorage(
            storage_class=storage.storage_class,
            home=storage.home,
            workspace=storage.workspace,
            cache=storage.cache,
        ),
        shared_claim=shared_claim,
        requests=dict(spec.user_resources.requests),
        limits=dict(spec.user_resources.limits),
        extra_env=dict(spec.extra_env),
        start_timeout=spec.start_timeout,
        signup=SignupPolicy(
            enabled=spec.signup.enabled,
            open_signup=spec.signup.open_signup,
            minimum_password_length=spec.signup.minimum_password_length,
        ),
        culling=spec.culling,
        labels=standard_labels(hub.name, "singleuser"),
        shm_size=spec.user_resources.shm or default_shm_size(spec.user_resources.limits["memory"]),
        extra_volumes=tuple(_lab_volume(volume) for volume in spec.user.extra_volumes),
        extra_volume_mounts=tuple(_lab_mount(mount) for mount in spec.user.extra_volume_mounts),
        owner=lab_owner(hub),
    )


def lab_owner(hub: Hub) -> dict[str, str]:
    """The StellarsHub as the owner of its lab pods (not of their claims: user data outlives
    the hub). No controller and no blockOwnerDeletion: the hub needs no right on its
    StellarsHub to set it."""
    if not hub.uid:
        return {}
    return {"apiVersion": API_VERSION, "kind": KIND, "name": hub.name, "uid": hub.uid}


def _lab_volume(volume: Mapping[str, Any]) -> dict[str, Any]:
    """A pod volume as spec.user.extraVolumes has it; quantities as text, as the API has them."""
    rendered = copy.deepcopy(dict(volume))
    empty_dir = rendered.get("emptyDir")
    if empty_dir and "sizeLimit" in empty_dir:
        empty_dir["sizeLimit"] = str(empty_dir["sizeLimit"])
    return rendered


def _lab_mount(mount: Mapping[str, Any]) -> dict[str, Any]:
    # readOnly spelled out: a mount read before the API server defaulted it means the same.
    return {**mount, "readOnly": bool(mount.get("readOnly", False))}


def extra_config_files(hub: Hub) -> dict[str, str]:
    """`<hub>-config` keys of spec.hub.extraConfig's snippets -> their source."""
    return {
        f"{EXTRA_CONFIG_KEY_PREFIX}{name}.py": source
        for name, source in sorted(hub.spec.hub.extra_config.items())
    }


def settings_document(hub: Hub) -> dict[str, Any]:
    return lab_settings(hub).to_json()


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def settings_json(hub: Hub) -> str:
    return _dump(settings_document(hub))


def config_data(hub: Hub) -> dict[str, str]:
    """`<hub>-config`'s data: settings.json and the extraConfig snippets."""
    return {SETTINGS_FILE: settings_json(hub), **extra_config_files(hub)}


def config_hash(hub: Hub) -> str:
    """Changes exactly when `<hub>-config` changes; rolls the hub through its pod template."""
    return hashlib.sha256(_dump(config_data(hub)).encode()).hexdigest()[:16]


def render_config(hub: Hub, *, gpu: GpuDecision) -> list[dict[str, Any]]:
    names = ChildNames(hub.name)
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": object_meta(hub, name=names.config, component="hub"),
            "data": config_data(hub),
        },
        render_gpu_config(hub, gpu=gpu),
    ]


def render_gpu_config(hub: Hub, *, gpu: GpuDecision) -> dict[str, Any]:
    """`<hub>-gpu` alone: the Node watcher re-applies just this one."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(hub, name=ChildNames(hub.name).gpu_config, component="hub"),
        "data": {GPU_SETTINGS_FILE: _dump(gpu_document(hub, gpu=gpu))},
    }


def gpu_document(hub: Hub, *, gpu: GpuDecision) -> dict[str, Any]:
    """The placement and the spawn profiles offered now: both follow the nodes, so both are
    read by the hub at every form and spawn (docs/hub-settings.md, "Spawn profiles")."""
    offered = hub_profiles(hub.spec, gpu.nodes).profiles
    return {**gpu.placement.to_json(), PROFILES_KEY: profiles_to_json(offered)}
