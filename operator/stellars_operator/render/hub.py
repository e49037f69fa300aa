"""The hub: Deployment (1 replica, Recreate) and its Service `<hub>-hub` on 8081."""

from typing import Any

from stellars_operator.constants import (
    CONFIG_HASH_ANNOTATION,
    EXTRA_CONFIG_DIR,
    EXTRA_CONFIG_KEY_PREFIX,
    GPU_SETTINGS_DIR,
    GPU_SETTINGS_FILE,
    HUB_DATA_DIR,
    HUB_PORT,
    PROXY_API_PORT,
    SECRET_ADMIN_PASSWORD,
    SECRET_COOKIE,
    SECRET_PROXY_TOKEN,
    SETTINGS_DIR,
    SETTINGS_FILE,
)
from stellars_operator.labels import ChildNames, selector_labels, standard_labels
from stellars_operator.render.config import config_hash, extra_config_files
from stellars_operator.render.metadata import (
    SCRATCH_MOUNT,
    SCRATCH_VOLUME,
    container_security_context,
    object_meta,
    pod_security_context,
)
from stellars_operator.spec import Hub


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def hub_env(hub: Hub) -> list[dict[str, Any]]:
    """The hub container's environment (docs/hub-settings.md).

    Nothing of `spec.gpu` is here: the hub reads the GPU placement from `gpu.json` at every
    spawn, and a variable here would restart the hub whenever the GPU mode changes.
    """
    names = ChildNames(hub.name)
    spec = hub.spec
    ref = spec.admin.password_secret_ref
    password = (
        _secret_env("JUPYTERHUB_ADMIN_PASSWORD", ref.name, ref.key)
        if ref
        else _secret_env("JUPYTERHUB_ADMIN_PASSWORD", names.secret, SECRET_ADMIN_PASSWORD)
    )
    plain = {
        "JUPYTERHUB_SPAWNER": "kubernetes",
        "JUPYTERHUB_ADMIN": spec.admin.name,
        "JUPYTERHUB_BASE_URL": spec.base_url,
        "ENABLE_JUPYTERHUB_SSL": "0",
        "ENABLE_SERVICE_MLFLOW": _flag(spec.services.mlflow),
        "ENABLE_SERVICE_GLANCES": _flag(spec.services.glances),
        "ENABLE_SERVICE_TENSORBOARD": _flag(spec.services.tensorboard),
        "STELLARS_DATA_DIR": HUB_DATA_DIR,
        "STELLARS_HUB_SETTINGS": f"{SETTINGS_DIR}/{SETTINGS_FILE}",
        "STELLARS_GPU_SETTINGS": f"{GPU_SETTINGS_DIR}/{GPU_SETTINGS_FILE}",
        "STELLARS_PROXY_API_URL": f"http://{names.proxy_api}:{PROXY_API_PORT}",
        "STELLARS_HUB_CONNECT_URL": f"http://{names.hub}:{HUB_PORT}",
        "STELLARS_EXTRA_CONFIG_DIR": EXTRA_CONFIG_DIR,
    }
    return [
        *({"name": k, "value": v} for k, v in plain.items()),
        password,
        _secret_env("CONFIGPROXY_AUTH_TOKEN", names.secret, SECRET_PROXY_TOKEN),
        _secret_env("JPY_COOKIE_SECRET", names.secret, SECRET_COOKIE),
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    ]


def health_path(hub: Hub) -> str:
    return f"{hub.spec.base_path}/hub/health"


def _probe(hub: Hub, *, initial_delay: int, failure_threshold: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": health_path(hub), "port": "http"},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": 10,
        "timeoutSeconds": 3,
        "failureThreshold": failure_threshold,
    }


def _extra_config_items(hub: Hub) -> list[dict[str, str]]:
    """spec.hub.extraConfig's snippets as files `<name>.py` in EXTRA_CONFIG_DIR."""
    folder = EXTRA_CONFIG_DIR.removeprefix(f"{SETTINGS_DIR}/")
    return [
        {"key": key, "path": f"{folder}/{key.removeprefix(EXTRA_CONFIG_KEY_PREFIX)}"}
        for key in extra_config_files(hub)
    ]


def render_hub_deployment(hub: Hub) -> dict[str, Any]:
    names = ChildNames(hub.name)
    spec = hub.spec
    settings_volume = {
        # One projected volume: settings.json and gpu/gpu.json, both updated in place.
        "name": "settings",
        "projected": {
            "sources": [
                {
                    "configMap": {
                        "name": names.config,
                        "items": [
                            {"key": SETTINGS_FILE, "path": SETTINGS_FILE},
                            *_extra_config_items(hub),
                        ],
                    }
                },
                {
                    "configMap": {
                        "name": names.gpu_config,
                        "items": [{"key": GPU_SETTINGS_FILE, "path": f"gpu/{GPU_SETTINGS_FILE}"}],
                    }
                },
            ]
        },
    }
    container = {
        "name": "hub",
        "image": spec.hub_image,
        "imagePullPolicy": spec.image_pull_policy,
        "env": hub_env(hub),
        "ports": [{"name": "http", "containerPort": HUB_PORT, "protocol": "TCP"}],
        "readinessProbe": _probe(hub, initial_delay=5, failure_threshold=3),
        "livenessProbe": _probe(hub, initial_delay=60, failure_threshold=6),
        # A hub that stops at start (a bad setting, an extraConfig snippet that raises) leaves
        # its last log lines, the failing setting or snippet and line, in the pod's status.
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "resources": spec.hub_resources.to_manifest(),
        # Nothing in the image can be changed: the hub writes its data volume and /tmp only.
        "securityContext": {**container_security_context(), "readOnlyRootFilesystem": True},
        "volumeMounts": [
            {"name": "data", "mountPath": HUB_DATA_DIR},
            {"name": "settings", "mountPath": SETTINGS_DIR, "readOnly": True},
            SCRATCH_MOUNT,
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(hub, name=names.hub, component="hub"),
        "spec": {
            "replicas": 1,
            # Two hubs must never share the sqlite database on the data volume.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector_labels(hub.name, "hub")},
            "template": {
                "metadata": {
                    "labels": standard_labels(hub.name, "hub"),
                    "annotations": {CONFIG_HASH_ANNOTATION: config_hash(hub)},
                },
                "spec": {
                    "serviceAccountName": names.hub,
                    "securityContext": pod_security_context(),
                    "containers": [container],
                    "volumes": [
                        {"name": "data", "persistentVolumeClaim": {"claimName": names.hub_data}},
                        settings_volume,
                        SCRATCH_VOLUME,
                    ],
                },
            },
        },
    }


def render_hub_service(hub: Hub) -> dict[str, Any]:
    names = ChildNames(hub.name)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(hub, name=names.hub, component="hub"),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(hub.name, "hub"),
            "ports": [{"name": "http", "port": HUB_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def render_hub(hub: Hub) -> list[dict[str, Any]]:
    return [render_hub_deployment(hub), render_hub_service(hub)]
