"""render/network.py: users reach the hub, the proxy and DNS only."""

from __future__ import annotations

from typing import Any

from stellars_operator.render.network import render_network
from tests.unit.operator.conftest import make_hub


def _policies(spec: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    return {p["metadata"]["name"]: p for p in render_network(make_hub(spec))}


# Public internet is on by default (test_render_network_egress.py); off, labs reach only these.
CLOSED = {"network": {"egress": {"publicInternet": False}}}


def _component(peer: dict[str, Any]) -> str | None:
    labels = peer.get("podSelector", {}).get("matchLabels", {})
    return labels.get("app.kubernetes.io/component")


def test_three_policies() -> None:
    assert set(_policies()) == {"demo-hub", "demo-proxy", "demo-singleuser"}


def test_user_pods_egress_only_to_hub_proxy_and_dns() -> None:
    user = _policies(CLOSED)["demo-singleuser"]
    assert user["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert user["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "singleuser"
    egress = user["spec"]["egress"]
    assert [_component(rule["to"][0]) for rule in egress[:2]] == ["hub", "proxy"]
    assert egress[0]["ports"] == [{"protocol": "TCP", "port": 8081}]
    assert egress[1]["ports"] == [{"protocol": "TCP", "port": 8000}]
    dns = egress[2]
    assert {p["port"] for p in dns["ports"]} == {53}
    # no rule without ports or peers, so the API server (443/6443) is unreachable
    assert all(rule.get("to") and rule.get("ports") for rule in egress)
    assert all(p["port"] not in (443, 6443) for rule in egress for p in rule["ports"])


def test_user_pods_accept_only_the_hub_and_proxy() -> None:
    (rule,) = _policies()["demo-singleuser"]["spec"]["ingress"]
    assert {_component(peer) for peer in rule["from"]} == {"hub", "proxy"}
    assert rule["ports"] == [{"protocol": "TCP", "port": 8888}]


def test_hub_accepts_proxy_and_users_on_8081() -> None:
    hub = _policies()["demo-hub"]
    assert hub["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = hub["spec"]["ingress"]
    assert {_component(peer) for peer in rule["from"]} == {"proxy", "singleuser"}
    assert all(
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "demo"
        for peer in rule["from"]
    )


def test_proxy_public_port_open_api_port_for_the_hub_only() -> None:
    public, api = _policies()["demo-proxy"]["spec"]["ingress"]
    assert public == {"ports": [{"protocol": "TCP", "port": 8000}]}
    assert [_component(peer) for peer in api["from"]] == ["hub"]
    assert api["ports"] == [{"protocol": "TCP", "port": 8001}]
