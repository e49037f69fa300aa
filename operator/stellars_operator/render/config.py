"""ConfigMaps `<hub>-config` (settings.json) and `<hub>-gpu` (gpu.json), and the config hash.

The GPU decision lives in its own ConfigMap, outside the hash: the hub reads it at every
spawn, so a change of GPU nodes never restarts the hub.
"""

import hashlib
import json
from typing import Any

from stellars_operator.constants import GPU_SETTINGS_FILE, SETTINGS_FILE
from stellars_operator.gpu import GpuDecision
from stellars_operator.labels import ChildNames, standard_labels
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub


def settings_document(hub: Hub) -> dict[str, Any]:
    """The settings.json of docs/hub-settings.md for this hub."""
    names = ChildNames(hub.name)
    spec = hub.spec
    storage = spec.storage
    shared_claim = None
    if storage.shared.enabled:
        shared_claim = storage.shared.existing_claim or names.shared
    return {
        "hubName": hub.name,
        "notebookImage": spec.notebook_image,
        "imagePullPolicy": spec.image_pull_policy,
        "userServiceAccount": names.user_service_account,
        "storage": {
            "storageClass": storage.storage_class,
            "home": storage.home,
            "workspace": storage.workspace,
            "cache": storage.cache,
        },
        "sharedClaim": shared_claim,
        "resources": spec.user_resources.to_manifest(),
        "extraEnv": dict(sorted(spec.extra_env.items())),
        "startTimeout": spec.start_timeout,
        "signup": {
            "enabled": spec.signup.enabled,
            "openSignup": spec.signup.open_signup,
            "minimumPasswordLength": spec.signup.minimum_password_length,
        },
        "labels": standard_labels(hub.name, "singleuser"),
    }


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
        "data": {GPU_SETTINGS_FILE: _dump(gpu.to_settings())},
    }
