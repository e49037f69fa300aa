"""render_children: the full desired set for many specs: names, labels, owners, no collisions."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from stellars_operator.gpu import decide
from stellars_operator.render import render_children
from stellars_operator.spec import Hub
from tests.unit.operator.conftest import load_nodes, make_hub
from tests.unit.operator.render_checks import assert_child_of, assert_owned_by, assert_restricted

SECRETS = {"cookie-secret": "c" * 64, "proxy-token": "t" * 64, "admin-password": "pw"}

SPECS: dict[str, dict[str, Any]] = {
    "minimal": {},
    "gpu-on": {"gpu": {"mode": "on", "perUser": 2}},
    "gpu-off": {"gpu": {"mode": "off"}},
    "ingress": {"exposure": {"ingress": {"enabled": True, "host": "h.example.com"}}},
    "ingress-tls": {
        "exposure": {"ingress": {"enabled": True, "host": "h.example.com", "tlsSecretName": "t"}}
    },
    "shared": {"storage": {"shared": {"enabled": True}}},
    "shared-existing": {"storage": {"shared": {"enabled": True, "existingClaim": "data"}}},
    "root-url": {"baseUrl": "/"},
    "nodeport": {"exposure": {"serviceType": "NodePort"}},
    "admin-ref": {"admin": {"passwordSecretRef": {"name": "pw", "key": "k"}}},
}


def render(hub: Hub, cluster: str = "gfd-labelled") -> list[dict[str, Any]]:
    return render_children(
        hub, secret_values=SECRETS, gpu=decide(load_nodes(cluster), hub.spec.gpu)
    )


def _kinds(children: list[dict[str, Any]]) -> Counter[str]:
    return Counter(c["kind"] for c in children)


@pytest.mark.parametrize("spec_name", SPECS)
def test_every_child_is_labelled_owned_and_namespaced(spec_name: str) -> None:
    hub = make_hub(SPECS[spec_name])
    for child in render(hub):
        assert_child_of(hub, child)
        # Claims and the Secret are the hub's data: owned only when it goes with the hub.
        hub_data = child["metadata"]["name"] in {"demo-hub-data", "demo-secrets"}
        goes_with_hub = hub.spec.storage.delete_user_data_on_hub_delete
        if child["kind"] not in {"PersistentVolumeClaim", "Secret"} or (hub_data and goes_with_hub):
            assert_owned_by(hub, child)
        elif hub_data:
            assert "ownerReferences" not in child["metadata"]


@pytest.mark.parametrize("spec_name", SPECS)
def test_every_pod_template_is_restricted_compatible(spec_name: str) -> None:
    for child in render(make_hub(SPECS[spec_name])):
        if child["kind"] == "Deployment":
            assert_restricted(child["spec"]["template"]["spec"])


def test_minimal_hub_children() -> None:
    children = render(make_hub())
    assert _kinds(children) == {
        "ServiceAccount": 2,
        "RoleBinding": 1,
        "Secret": 1,
        "ConfigMap": 2,
        "PersistentVolumeClaim": 1,
        "Deployment": 2,
        "Service": 3,
        "NetworkPolicy": 3,
    }
    names = {(c["kind"], c["metadata"]["name"]) for c in children}
    assert ("Deployment", "demo-hub") in names
    assert ("Deployment", "demo-proxy") in names
    assert ("Service", "demo-proxy-public") in names
    assert ("Secret", "demo-secrets") in names


def test_ingress_only_when_enabled() -> None:
    assert "Ingress" not in _kinds(render(make_hub()))
    assert _kinds(render(make_hub(SPECS["ingress"])))["Ingress"] == 1


def test_two_hubs_in_one_namespace_never_collide() -> None:
    first = render(make_hub(SPECS["shared"], name="alpha"))
    second = render(make_hub(SPECS["shared"], name="beta"))
    keys = [(c["kind"], c["metadata"]["name"]) for c in first + second]
    assert len(keys) == len(set(keys))

    # nor do their selectors pick each other's pods
    def selectors(children: list[dict[str, Any]]) -> set[tuple[tuple[str, str], ...]]:
        return {
            tuple(sorted(c["spec"]["selector"].items())) for c in children if c["kind"] == "Service"
        }

    assert selectors(first).isdisjoint(selectors(second))


def test_rendering_is_deterministic() -> None:
    hub = make_hub(SPECS["ingress-tls"])
    assert render(hub) == render(hub)
