"""The optional Ingress `<hub>` in front of the proxy's public Service."""

from typing import Any

from stellars_operator.constants import PROXY_SERVICE_PORT
from stellars_operator.labels import ChildNames
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub


def render_ingress(hub: Hub) -> list[dict[str, Any]]:
    ingress = hub.spec.exposure.ingress
    if not ingress.enabled:
        return []
    names = ChildNames(hub.name)
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": hub.spec.base_path or "/",
                    "pathType": "Prefix",
                    "backend": {
                        "service": {
                            "name": names.proxy_public,
                            "port": {"number": PROXY_SERVICE_PORT},
                        }
                    },
                }
            ]
        }
    }
    if ingress.host:
        rule["host"] = ingress.host
    spec: dict[str, Any] = {"rules": [rule]}
    if ingress.class_name:
        spec["ingressClassName"] = ingress.class_name
    if ingress.tls_secret_name:
        spec["tls"] = [
            {"hosts": [ingress.host] if ingress.host else [], "secretName": ingress.tls_secret_name}
        ]
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": object_meta(
                hub,
                name=names.ingress,
                component="proxy",
                annotations=dict(ingress.annotations),
            ),
            "spec": spec,
        }
    ]
