"""NetworkPolicies: user servers reach the hub, the proxy and DNS only (not the Kubernetes API)."""

from typing import Any

from stellars_operator.constants import HUB_PORT, PROXY_API_PORT, PROXY_PUBLIC_PORT, SINGLEUSER_PORT
from stellars_operator.labels import ChildNames, Component, selector_labels
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub


def _peer(hub: Hub, component: Component) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": selector_labels(hub.name, component)}}


def _tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}


def _policy(hub: Hub, *, name: str, component: Component, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(hub, name=name, component=component),
        "spec": {"podSelector": {"matchLabels": selector_labels(hub.name, component)}, **spec},
    }


def render_network(hub: Hub) -> list[dict[str, Any]]:
    names = ChildNames(hub.name)
    hub_policy = _policy(
        hub,
        name=names.hub,
        component="hub",
        spec={
            # Egress stays open: the hub talks to the API server, the proxy API and user pods.
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [_peer(hub, "proxy"), _peer(hub, "singleuser")],
                    "ports": [_tcp(HUB_PORT)],
                }
            ],
        },
    )
    proxy_policy = _policy(
        hub,
        name=names.proxy,
        component="proxy",
        spec={
            "policyTypes": ["Ingress"],
            "ingress": [
                {"ports": [_tcp(PROXY_PUBLIC_PORT)]},
                {"from": [_peer(hub, "hub")], "ports": [_tcp(PROXY_API_PORT)]},
            ],
        },
    )
    user_policy = _policy(
        hub,
        name=names.singleuser_policy,
        component="singleuser",
        spec={
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [_peer(hub, "proxy"), _peer(hub, "hub")],
                    "ports": [_tcp(SINGLEUSER_PORT)],
                }
            ],
            "egress": [
                {"to": [_peer(hub, "hub")], "ports": [_tcp(HUB_PORT)]},
                {"to": [_peer(hub, "proxy")], "ports": [_tcp(PROXY_PUBLIC_PORT)]},
                {
                    # DNS anywhere in the cluster; nothing else, so not the API server either.
                    "to": [{"namespaceSelector": {}}],
                    "ports": [{"protocol": "UDP", "port": 53}, _tcp(53)],
                },
            ],
        },
    )
    return [hub_policy, proxy_policy, user_policy]
