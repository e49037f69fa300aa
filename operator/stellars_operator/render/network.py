"""NetworkPolicies: user servers reach the hub, the proxy, DNS and what spec.network.egress allows.

"Public" is every IPv4 address but the private ranges, link-local addresses (the cloud metadata
server among them) and the cluster's nodes, so the Kubernetes API (on a node, or behind a
private address) stays out of reach whatever the switches say, unless privateNetworks is on.
"""

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from stellars_operator.constants import HUB_PORT, PROXY_API_PORT, PROXY_PUBLIC_PORT, SINGLEUSER_PORT
from stellars_operator.labels import ChildNames, Component, selector_labels
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub
from stellars_operator.spec_lab import EgressSpec

PRIVATE_RANGES: Final = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
LINK_LOCAL: Final = "169.254.0.0/16"
CLOUD_METADATA: Final = "169.254.169.254/32"
ANYWHERE: Final = "0.0.0.0/0"
# Node address types that name the node itself (not its host name).
_NODE_ADDRESS_TYPES: Final = ("InternalIP", "ExternalIP")


def _peer(hub: Hub, component: Component) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": selector_labels(hub.name, component)}}


def _tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}


def _dns_ports() -> list[dict[str, Any]]:
    return [{"protocol": "UDP", "port": 53}, _tcp(53)]


def node_addresses(nodes: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The nodes' own IPv4 addresses (a node's API server, kubelet and node ports), sorted."""
    found = set()
    for node in nodes:
        for address in (node.get("status") or {}).get("addresses") or []:
            if address.get("type") not in _NODE_ADDRESS_TYPES:
                continue
            try:
                found.add(str(ipaddress.IPv4Address(address.get("address", ""))))
            except ValueError:
                continue  # IPv6 or empty: the rules are IPv4
    return tuple(sorted(found, key=ipaddress.IPv4Address))


def _outside(block: str, ranges: Iterable[str]) -> bool:
    network = ipaddress.IPv4Network(block, strict=False)
    return not any(network.subnet_of(ipaddress.IPv4Network(r)) for r in ranges)


def _public_block(egress: EgressSpec, nodes: Sequence[str]) -> dict[str, Any]:
    """Everything not private, not link-local (but the metadata server when allowed), not a node."""
    hidden = [*PRIVATE_RANGES, LINK_LOCAL]
    # A node inside a hidden range is hidden already; `except` must hold distinct blocks.
    hidden += [f"{address}/32" for address in nodes if _outside(f"{address}/32", hidden)]
    if egress.cloud_metadata:
        # Open the metadata address alone: the rest of link-local stays excepted.
        hidden.remove(LINK_LOCAL)
        hidden += _link_local_but_metadata()
    return {"ipBlock": {"cidr": ANYWHERE, "except": hidden}}


def _link_local_but_metadata() -> list[str]:
    """169.254.0.0/16 without 169.254.169.254/32, as the fewest blocks."""
    whole = ipaddress.IPv4Network(LINK_LOCAL)
    return [str(block) for block in whole.address_exclude(ipaddress.IPv4Network(CLOUD_METADATA))]


def _allow_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One spec.network.egress.allow entry as a NetworkPolicy egress rule."""
    peer: dict[str, Any] = {}
    if rule.get("cidr") is not None:
        block = ipaddress.IPv4Network(str(rule["cidr"]), strict=False)
        peer["ipBlock"] = {"cidr": str(block)}
    for selector in ("namespaceSelector", "podSelector"):
        if rule.get(selector) is not None:
            labels = dict((rule[selector] or {}).get("matchLabels") or {})
            peer[selector] = {"matchLabels": labels} if labels else {}
    rendered: dict[str, Any] = {"to": [peer]}
    ports = [
        {
            "protocol": port.get("protocol") or "TCP",
            "port": port["port"],
            **({"endPort": port["endPort"]} if port.get("endPort") is not None else {}),
        }
        for port in rule.get("ports") or []
    ]
    if ports:
        rendered["ports"] = ports
    return rendered


def egress_rules(hub: Hub, *, nodes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The user servers' egress: hub, proxy, DNS, then what spec.network.egress allows."""
    egress = hub.spec.network.egress
    rules: list[dict[str, Any]] = [
        {"to": [_peer(hub, "hub")], "ports": [_tcp(HUB_PORT)]},
        {"to": [_peer(hub, "proxy")], "ports": [_tcp(PROXY_PUBLIC_PORT)]},
        {
            # DNS: cluster DNS pods, and resolvers on private or link-local addresses
            # (NodeLocal DNSCache listens on one); port 53 only.
            "to": [
                {"namespaceSelector": {}},
                *({"ipBlock": {"cidr": block}} for block in (*PRIVATE_RANGES, LINK_LOCAL)),
            ],
            "ports": _dns_ports(),
        },
    ]
    if egress.public_internet:
        rules.append({"to": [_public_block(egress, nodes)]})
    if egress.private_networks:
        blocks = [
            *PRIVATE_RANGES,
            *(f"{a}/32" for a in nodes if _outside(f"{a}/32", PRIVATE_RANGES)),
        ]
        rules.append({"to": [{"ipBlock": {"cidr": block}} for block in blocks]})
    if egress.cloud_metadata and not egress.public_internet:
        rules.append({"to": [{"ipBlock": {"cidr": CLOUD_METADATA}}]})
    rules += [_allow_rule(rule) for rule in egress.allow]
    return rules


def _policy(hub: Hub, *, name: str, component: Component, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_meta(hub, name=name, component=component),
        "spec": {"podSelector": {"matchLabels": selector_labels(hub.name, component)}, **spec},
    }


def render_network(hub: Hub, *, nodes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """`nodes`: the cluster's node addresses (`node_addresses`), never public to a lab."""
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
            "egress": egress_rules(hub, nodes=nodes),
        },
    )
    return [hub_policy, proxy_policy, user_policy]
