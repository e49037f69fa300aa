"""The chart's RBAC on a real API server: the operator's ServiceAccount can apply every child a
hub needs (including the hub's Role, which Kubernetes only allows to those holding its rules)
and cannot do what it has no business doing. Needs an API server only.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from stellars_operator.credentials import complete_secret_values
from stellars_operator.gpu import decide
from stellars_operator.render import render_children
from stellars_operator.spec import parse_hub
from tests.fixtures.kubectl import ClusterCli

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

RELEASE = "rbac"
OPERATOR = f"{RELEASE}-stellars-jupyterhub-operator"


def _children(namespace: str) -> list[dict[str, Any]]:
    body = {
        "apiVersion": "stellars.io/v1alpha1",
        "kind": "StellarsHub",
        "metadata": {"name": "probe", "namespace": namespace, "uid": str(uuid.uuid4())},
        "spec": {"exposure": {"ingress": {"enabled": True, "host": "probe.example.org"}}},
    }
    hub = parse_hub(body)
    children = render_children(
        hub, secret_values=complete_secret_values({}), gpu=decide([], hub.spec.gpu)
    )
    for child in children:
        # No owner: the garbage collector would remove children of a hub that does not exist.
        child["metadata"].pop("ownerReferences", None)
    return children


@pytest.mark.parametrize("mode", ["watch-namespace", "all-namespaces"])
def test_operator_service_account_can_apply_every_child(
    cluster: ClusterCli, namespace: str, mode: str
) -> None:
    values = [f"watchNamespaces={{{namespace}}}"] if mode == "watch-namespace" else []
    # Only the operator's permissions are under test: its pod must never start (an operator
    # watching all namespaces would touch other tests' hubs), so its image is one never pulled.
    values += ["operator.image.tag=never-started", "operator.image.pullPolicy=Never"]
    cluster.install(RELEASE, namespace, *values, wait=False)
    account = f"system:serviceaccount:{namespace}:{OPERATOR}"
    try:
        children = _children(namespace)
        kinds = {child["kind"] for child in children}
        assert {"Role", "RoleBinding", "Deployment", "Ingress", "NetworkPolicy"} <= kinds
        for child in children:
            cluster.kubectl(
                "apply",
                "--server-side",
                "--field-manager=stellars-operator",
                f"--as={account}",
                "-f",
                "-",
                stdin=json.dumps(child),
            )
        allowed = [
            ("patch", "stellarshubs.stellars.io/status"),
            ("create", "events"),
            ("delete", "pods"),
            ("delete", "persistentvolumeclaims"),
            ("list", "nodes"),
            ("get", "storageclasses.storage.k8s.io"),
            ("watch", "customresourcedefinitions.apiextensions.k8s.io"),
        ]
        denied = [
            ("create", "clusterroles.rbac.authorization.k8s.io"),
            ("delete", "nodes"),
            ("create", "stellarshubs.stellars.io"),
            ("delete", "customresourcedefinitions.apiextensions.k8s.io"),
            ("escalate", "roles.rbac.authorization.k8s.io"),
            ("bind", "roles.rbac.authorization.k8s.io"),
        ]
        for verb, resource in allowed + denied:
            result = cluster.kubectl(
                "-n", namespace, "auth", "can-i", verb, resource, f"--as={account}", check=False
            )
            expected = "yes" if (verb, resource) in allowed else "no"
            assert result.stdout.strip() == expected, f"can {account} {verb} {resource}?"
        if mode == "watch-namespace":
            # Its namespaced rules hold in the watched namespace only.
            result = cluster.kubectl(
                "-n",
                "kube-system",
                "auth",
                "can-i",
                "get",
                "secrets",
                f"--as={account}",
                check=False,
            )
            assert result.stdout.strip() == "no"
    finally:
        cluster.helm("uninstall", RELEASE, "--namespace", namespace, check=False)
