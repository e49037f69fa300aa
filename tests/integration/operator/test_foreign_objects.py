"""A hub named so that one of its children would take the name of an object it does not manage:
the operator never takes that object over (a forced apply would adopt it, and garbage collection
delete it with the hub). The hub is Degraded naming the object; its other children are applied."""

from __future__ import annotations

import pytest

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import conditions_of, create_hub, delete_hubs, wait_for_status

pytestmark = pytest.mark.cluster


def test_an_existing_object_of_a_childs_name_is_never_adopted_or_deleted(
    operator: OperatorProcess, kube: Kube, namespace: str
) -> None:
    # Somebody's Service, named as the hub `billing` names its hub Service.
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "billing-hub", "namespace": namespace, "labels": {"app": "billing"}},
        "spec": {"selector": {"app": "billing"}, "ports": [{"port": 8080}]},
    }
    path = resource_path("v1", "Service", namespace=namespace, name="billing-hub")
    kube.request("POST", resource_path("v1", "Service", namespace=namespace), body=service)

    create_hub(kube, namespace, "billing")

    def degraded_message(hub: dict[str, object]) -> str:
        condition = conditions_of(hub).get("Degraded") or {}
        return str(condition.get("message", "")) if condition.get("status") == "True" else ""

    hub = wait_for_status(kube, namespace, "billing", lambda h: bool(degraded_message(h)))
    assert conditions_of(hub)["Degraded"]["reason"] == "ApplyFailed"
    assert "Service billing-hub exists and is not managed by this hub" in degraded_message(hub)
    # The other children were applied all the same (the proxy, the policies).
    proxy = resource_path("apps/v1", "Deployment", namespace=namespace, name="billing-proxy")
    wait_for(lambda: kube.get(proxy), timeout=30, what="the proxy Deployment")
    live = kube.get(path)
    assert live is not None
    assert live["metadata"].get("ownerReferences") is None
    assert live["spec"]["ports"][0]["port"] == 8080
    assert live["metadata"]["labels"] == {"app": "billing"}

    delete_hubs(kube, namespace)
    wait_for(lambda: kube.get(proxy) is None, timeout=60, what="the hub's children to go")
    assert kube.get(path) is not None, "deleting the hub deleted somebody else's Service"
