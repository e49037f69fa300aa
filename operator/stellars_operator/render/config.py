"""ConfigMaps `<hub>-config` (settings.json) and `<hub>-gpu` (gpu.json), and the config hash.

Both files are the contract's objects (`stellars_hub.contract`) written with `to_json`, so the
hub reads back exactly what is built here. The GPU placement lives in its own ConfigMap,
outside the hash: the hub reads it at every spawn, so a change of GPU nodes never restarts it.
"""

import hashlib
import json
from typing import Any

from stellars_hub.contract import LabSettings, SignupPolicy, UserStorage
from stellars_operator.constants import GPU_SETTINGS_FILE, SETTINGS_FILE
from stellars_operator.gpu import GpuDecision
from stellars_operator.labels import ChildNames, standard_labels
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub


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
        labels=standard_labels(hub.name, "singleuser"),
    )


def settings_document(hub: Hub) -> dict[str, Any]:
    return lab_settings(hub).to_json()


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def settings_json(hub: Hub) -> str:
    return _dump(settings_document(hub))


def config_hash(hub: Hub) -> str:
    """Changes exactly when settings.json changes; rolls the hub through its pod template."""
    return hashlib.sha256(settings_json(hub).encode()).hexdigest()[:16]


def render_config(hub: Hub, *, gpu: GpuDecision) -> list[dict[str, Any]]:
    names = ChildNames(hub.name)
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": object_meta(hub, name=names.config, component="hub"),
            "data": {SETTINGS_FILE: settings_json(hub)},
        },
        render_gpu_config(hub, gpu=gpu),
    ]


def render_gpu_config(hub: Hub, *, gpu: GpuDecision) -> dict[str, Any]:
    """`<hub>-gpu` alone: the Node watcher re-applies just this one."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(hub, name=ChildNames(hub.name).gpu_config, component="hub"),
        "data": {GPU_SETTINGS_FILE: _dump(gpu.placement.to_json())},
    }
