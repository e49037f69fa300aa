"""lab_egress.py: a node's new address reaches the labs' policy; nothing else is applied."""

from __future__ import annotations

from typing import Any

from stellars_operator.lab_egress import refresh_lab_egress
from tests.unit.operator.fake_kube import FakeKube

HUB: dict[str, Any] = {
    "apiVersion": "stellars.io/v1alpha1",
    "kind": "StellarsHub",
    "metadata": {"name": "demo", "namespace": "team", "uid": "u1", "generation": 1},
    "spec": {},
}
POLICY = "/apis/networking.k8s.io/v1/namespaces/team/networkpolicies/demo-singleuser"


def _node(address: str) -> dict[str, Any]:
    return {"status": {"addresses": [{"type": "InternalIP", "address": address}]}}


def _public_except(kube: FakeKube) -> list[str]:
    egress = kube.objects[POLICY]["spec"]["egress"]
    (public,) = [rule for rule in egress if "ports" not in rule]
    excepted: list[str] = public["to"][0]["ipBlock"]["except"]
    return excepted


def test_a_new_node_address_is_applied_once_then_nothing() -> None:
    kube = FakeKube()
    assert refresh_lab_egress(kube, HUB, nodes=[_node("192.0.2.2")])
    assert "192.0.2.2/32" in _public_except(kube)
    assert not refresh_lab_egress(kube, HUB, nodes=[_node("192.0.2.2")])
    assert refresh_lab_egress(kube, HUB, nodes=[_node("192.0.2.2"), _node("198.51.100.4")])
    assert "198.51.100.4/32" in _public_except(kube)
    assert list(kube.objects) == [POLICY]


def test_a_hub_with_spec_problems_or_going_away_is_left_alone() -> None:
    kube = FakeKube()
    broken = {**HUB, "spec": {"baseUrl": "no-slash"}}
    assert not refresh_lab_egress(kube, broken, nodes=[_node("192.0.2.2")])
    leaving = {**HUB, "metadata": {**HUB["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}}
    assert not refresh_lab_egress(kube, leaving, nodes=[_node("192.0.2.2")])
    assert kube.objects == {}
