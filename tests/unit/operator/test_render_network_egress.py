"""render/network.py, spec.network.egress: public, private, metadata and extra peers."""

from __future__ import annotations

import ipaddress
from typing import Any

from stellars_operator.render.network import node_addresses, render_network
from tests.unit.operator.conftest import make_hub

NODE = "192.0.2.2"
API_CLUSTER_IP = "10.96.0.1"


def _egress(egress: dict[str, Any] | None = None, nodes: tuple[str, ...] = (NODE,)) -> list[Any]:
    hub = make_hub({"network": {"egress": egress or {}}})
    policies = {p["metadata"]["name"]: p for p in render_network(hub, nodes=nodes)}
    rules: list[Any] = policies["demo-singleuser"]["spec"]["egress"]
    return rules


def _allowed(rules: list[Any], address: str, port: int, protocol: str = "TCP") -> bool:
    """What the API server would let through: any rule whose peer and port both match."""
    ip = ipaddress.IPv4Address(address)
    for rule in rules:
        ports = rule.get("ports")
        if ports and not any(
            p.get("protocol", "TCP") == protocol
            and p["port"] <= port <= p.get("endPort", p["port"])
            for p in ports
        ):
            continue
        for peer in rule["to"]:
            block = peer.get("ipBlock")
            if block is None:
                continue
            inside = ip in ipaddress.IPv4Network(block["cidr"])
            excepted = any(ip in ipaddress.IPv4Network(e) for e in block.get("except", []))
            if inside and not excepted:
                return True
    return False


def test_by_default_the_public_internet_is_open_and_private_addresses_are_not() -> None:
    rules = _egress()
    assert _allowed(rules, "203.0.113.7", 443)
    assert _allowed(rules, "8.8.8.8", 80)
    for private in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", API_CLUSTER_IP):
        assert not _allowed(rules, private, 443), private
    # The metadata server and the nodes (API server, kubelet) are never "public".
    assert not _allowed(rules, "169.254.169.254", 80)
    assert not _allowed(rules, NODE, 6443)
    assert not _allowed(rules, NODE, 10250)


def test_dns_reaches_private_and_link_local_resolvers_only_on_port_53() -> None:
    rules = _egress({"publicInternet": False})
    for resolver in ("10.96.0.10", "169.254.20.10", "192.168.0.53"):
        assert _allowed(rules, resolver, 53, "UDP"), resolver
        assert _allowed(rules, resolver, 53, "TCP"), resolver
        assert not _allowed(rules, resolver, 80), resolver


def test_public_off_reaches_nothing_outside_the_cluster() -> None:
    rules = _egress({"publicInternet": False})
    assert not _allowed(rules, "203.0.113.7", 443)
    assert not _allowed(rules, "8.8.8.8", 53, "UDP")
    assert all(rule.get("ports") for rule in rules)


def test_private_networks_switch_opens_private_ranges_and_nodes() -> None:
    rules = _egress({"privateNetworks": True})
    assert _allowed(rules, "10.1.2.3", 5432)
    assert _allowed(rules, NODE, 6443)
    assert not _allowed(rules, "169.254.169.254", 80)


def test_cloud_metadata_switch_opens_only_the_metadata_address() -> None:
    for public in (True, False):
        rules = _egress({"cloudMetadata": True, "publicInternet": public})
        assert _allowed(rules, "169.254.169.254", 80)
        assert not _allowed(rules, "10.0.0.1", 80)
    open_rules = _egress({"cloudMetadata": True})
    assert not _allowed(open_rules, "169.254.1.1", 80)
    assert not _allowed(open_rules, NODE, 6443)


def test_extra_rules_open_exactly_their_peer_and_ports() -> None:
    rules = _egress(
        {
            "publicInternet": False,
            "allow": [
                {"podSelector": {"matchLabels": {"app": "mlflow"}}, "ports": [{"port": 5000}]},
                {"cidr": "203.0.113.7/32", "ports": [{"port": 8000, "endPort": 8010}]},
                {"namespaceSelector": {}, "podSelector": {}},
            ],
        }
    )
    mlflow, _, everything = rules[-3:]
    assert mlflow == {
        "to": [{"podSelector": {"matchLabels": {"app": "mlflow"}}}],
        "ports": [{"protocol": "TCP", "port": 5000}],
    }
    assert _allowed(rules, "203.0.113.7", 8005)
    assert not _allowed(rules, "203.0.113.7", 8011)
    assert not _allowed(rules, "203.0.113.8", 8005)
    assert everything == {"to": [{"namespaceSelector": {}, "podSelector": {}}]}


def test_node_addresses_are_the_nodes_ipv4_addresses() -> None:
    nodes: list[dict[str, Any]] = [
        {"status": {"addresses": [{"type": "InternalIP", "address": "192.0.2.2"}]}},
        {
            "status": {
                "addresses": [
                    {"type": "Hostname", "address": "n2"},
                    {"type": "InternalIP", "address": "10.0.0.9"},
                    {"type": "ExternalIP", "address": "2001:db8::1"},
                ]
            }
        },
        {"status": {}},
    ]
    assert node_addresses(nodes) == ("10.0.0.9", "192.0.2.2")


def test_a_node_inside_a_private_range_is_not_listed_twice() -> None:
    (public,) = [r for r in _egress(nodes=("10.0.0.9", NODE)) if "ports" not in r]
    excepted = public["to"][0]["ipBlock"]["except"]
    assert "10.0.0.9/32" not in excepted
    assert f"{NODE}/32" in excepted
