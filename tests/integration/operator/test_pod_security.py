"""Every pod the operator renders is admitted where PodSecurity "restricted" is enforced."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from stellars_operator.gpu import decide
from stellars_operator.kube import Kube, resource_path
from stellars_operator.render import render_children
from stellars_operator.spec import GpuSpec, parse_hub

pytestmark = pytest.mark.cluster


def _deployments(namespace: str) -> list[dict[str, Any]]:
    hub = parse_hub({"metadata": {"name": "demo", "namespace": namespace, "uid": "0"}, "spec": {}})
    children = render_children(hub, secret_values={}, gpu=decide([], GpuSpec()))
    return [c for c in children if c["kind"] == "Deployment"]


def test_hub_and_proxy_pods_pass_restricted_admission(kube: Kube, namespace: str) -> None:
    labels = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    kube.merge_patch(f"/api/v1/namespaces/{namespace}", {"metadata": {"labels": labels}})
    # the hub pod names its ServiceAccount, which admission looks up
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "demo-hub"}}
    kube.request("POST", resource_path("v1", "ServiceAccount", namespace=namespace), body=account)
    deployments = _deployments(namespace)
    assert [d["metadata"]["name"] for d in deployments] == ["demo-hub", "demo-proxy"]
    for deployment in deployments:
        template = deployment["spec"]["template"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": deployment["metadata"]["name"], "namespace": namespace},
            "spec": template["spec"],
        }
        # dry run: admission (PodSecurity included) runs in full, nothing is stored
        admitted = kube.request(
            "POST",
            resource_path("v1", "Pod", namespace=namespace),
            query={"dryRun": "All"},
            body=pod,
        )
        assert admitted["metadata"]["name"] == deployment["metadata"]["name"]


def test_a_privileged_pod_is_refused_there(kube: Kube, namespace: str) -> None:
    """The check above means something: the namespace really enforces "restricted"."""
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    kube.merge_patch(f"/api/v1/namespaces/{namespace}", {"metadata": {"labels": labels}})
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "root", "namespace": namespace},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
    }
    with pytest.raises(ApiException) as raised:
        kube.request(
            "POST",
            resource_path("v1", "Pod", namespace=namespace),
            query={"dryRun": "All"},
            body=pod,
        )
    assert raised.value.status == 403
    assert "restricted" in (raised.value.body or "")
