"""configurable-http-proxy in its own Deployment, so a hub restart does not cut users' traffic."""

from typing import Any

from stellars_operator.constants import (
    HUB_PORT,
    PROXY_API_PORT,
    PROXY_PUBLIC_PORT,
    PROXY_SERVICE_PORT,
    SECRET_PROXY_TOKEN,
)
from stellars_operator.labels import ChildNames, selector_labels, standard_labels
from stellars_operator.render.metadata import (
    SCRATCH_MOUNT,
    SCRATCH_VOLUME,
    container_security_context,
    object_meta,
    pod_security_context,
)
from stellars_operator.spec import Hub

PROXY_RESOURCES = {
    "requests": {"cpu": "50m", "memory": "64Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}


def proxy_args(hub: Hub) -> list[str]:
    hub_url = f"http://{ChildNames(hub.name).hub}:{HUB_PORT}"
    return [
        "--ip=0.0.0.0",
        f"--port={PROXY_PUBLIC_PORT}",
        "--api-ip=0.0.0.0",
        f"--api-port={PROXY_API_PORT}",
        f"--default-target={hub_url}",
        f"--error-target={hub_url}{hub.spec.base_path}/hub/error",
    ]


def render_proxy_deployment(hub: Hub) -> dict[str, Any]:
    names = ChildNames(hub.name)
    container = {
        "name": "proxy",
        "image": hub.spec.hub_image,
        "imagePullPolicy": hub.spec.image_pull_policy,
        "command": ["configurable-http-proxy"],
        "args": proxy_args(hub),
        "env": [
            {
                "name": "CONFIGPROXY_AUTH_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": names.secret, "key": SECRET_PROXY_TOKEN}},
            }
        ],
        "ports": [
            {"name": "http", "containerPort": PROXY_PUBLIC_PORT, "protocol": "TCP"},
            {"name": "api", "containerPort": PROXY_API_PORT, "protocol": "TCP"},
        ],
        # Users reach nothing until a new proxy is Ready (its Services route only to Ready
        # pods), so look often: a restarted proxy then serves within a couple of seconds.
        "readinessProbe": {
            "httpGet": {"path": "/_chp_healthz", "port": "http"},
            "periodSeconds": 2,
        },
        "livenessProbe": {
            "httpGet": {"path": "/_chp_healthz", "port": "http"},
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "failureThreshold": 6,
        },
        "resources": PROXY_RESOURCES,
        # Nothing in the image can be changed: the proxy writes /tmp at most.
        "securityContext": {**container_security_context(), "readOnlyRootFilesystem": True},
        "volumeMounts": [SCRATCH_MOUNT],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(hub, name=names.proxy, component="proxy"),
        "spec": {
            "replicas": 1,
            # The route table lives in the proxy's memory: never two proxies at once.
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector_labels(hub.name, "proxy")},
            "template": {
                "metadata": {"labels": standard_labels(hub.name, "proxy")},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": pod_security_context(),
                    "containers": [container],
                    "volumes": [SCRATCH_VOLUME],
                },
            },
        },
    }


def render_proxy_services(hub: Hub) -> list[dict[str, Any]]:
    names = ChildNames(hub.name)
    selector = selector_labels(hub.name, "proxy")
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_meta(hub, name=names.proxy_api, component="proxy"),
            "spec": {
                "type": "ClusterIP",
                "selector": selector,
                "ports": [
                    {"name": "api", "port": PROXY_API_PORT, "targetPort": "api", "protocol": "TCP"}
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_meta(hub, name=names.proxy_public, component="proxy"),
            "spec": {
                "type": hub.spec.exposure.service_type,
                "selector": selector,
                "ports": [
                    {
                        "name": "http",
                        "port": PROXY_SERVICE_PORT,
                        "targetPort": "http",
                        "protocol": "TCP",
                    }
                ],
            },
        },
    ]


def render_proxy(hub: Hub) -> list[dict[str, Any]]:
    return [render_proxy_deployment(hub), *render_proxy_services(hub)]
