"""The chart's RBAC on a real API server: the operator's ServiceAccount can apply every child a
hub needs (including the RoleBinding to the hubs' ClusterRole, which it may bind by name without
holding its rules), cannot do what it has no business doing, and `kubectl auth can-i --list` as
the operator shows exactly the chart's rules. Needs an API server only.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.stellarshub import unowned_children

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

RELEASE = "rbac"
OPERATOR = f"{RELEASE}-stellars-jupyterhub-operator"
HUB_CLUSTER_ROLE = f"{RELEASE}-stellars-jupyterhub-hub"
# What every authenticated account may do (the API server's default discovery roles).
EVERYONE = {
    ("selfsubjectaccessreviews.authorization.k8s.io", "create"),
    ("selfsubjectrulesreviews.authorization.k8s.io", "create"),
    ("selfsubjectreviews.authentication.k8s.io", "create"),
}


def _children(namespace: str) -> list[dict[str, Any]]:
    spec = {"exposure": {"ingress": {"enabled": True, "host": "probe.example.org"}}}
    return unowned_children(namespace, "probe", spec, hub_cluster_role=HUB_CLUSTER_ROLE)


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
        assert {"RoleBinding", "Deployment", "Ingress", "NetworkPolicy"} <= kinds
        assert "Role" not in kinds
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
            ("bind", f"clusterroles.rbac.authorization.k8s.io/{HUB_CLUSTER_ROLE}"),
            ("patch", "stellarshubs.stellars.io/status"),
            ("create", "events"),
            ("delete", "pods"),
            ("delete", "persistentvolumeclaims"),
            ("list", "nodes"),
            ("get", "storageclasses.storage.k8s.io"),
            ("watch", "customresourcedefinitions.apiextensions.k8s.io"),
        ]
        denied = [
            ("create", "pods"),
            ("create", "roles.rbac.authorization.k8s.io"),
            ("delete", "secrets"),
            ("bind", "clusterroles.rbac.authorization.k8s.io/admin"),
            ("bind", "clusterroles.rbac.authorization.k8s.io/cluster-admin"),
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


def _can_i_list(cluster: ClusterCli, namespace: str, account: str) -> set[tuple[str, str]]:
    """`kubectl auth can-i --list` as the account: (resource[/name], verb) pairs."""
    listing = cluster.kubectl("-n", namespace, "auth", "can-i", "--list", f"--as={account}")
    pairs = set()
    for line in listing.stdout.splitlines()[1:]:
        match = re.match(r"^(\S+)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$", line)
        if not match:
            continue  # a non-resource URL row (resource column empty)
        resource, names, verbs = match.group(1), match.group(3).split(), match.group(4).split()
        for verb in verbs:
            for name in names or [""]:
                pairs.add((f"{resource}/{name}" if name else resource, verb))
    return pairs


def _chart_rules(cluster: ClusterCli, namespace: str) -> set[tuple[str, str]]:
    """The operator's rules as the chart rendered them, in can-i's notation."""
    pairs = set()
    for kind, name, where in (
        ("clusterrole", f"{namespace}-{OPERATOR}", None),
        ("clusterrole", f"{namespace}-{OPERATOR}-cluster", None),
        # leader election: the Lease in the release namespace (can-i lists that namespace)
        ("role", f"{OPERATOR}-leader-election", namespace),
    ):
        role = cluster.get(kind, name, namespace=where)
        assert role is not None, name
        for rule in role["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    base, _, sub = resource.partition("/")  # can-i writes plural.group/sub
                    qualified = (f"{base}.{group}" if group else base) + (f"/{sub}" if sub else "")
                    for verb in rule["verbs"]:
                        for name_ in rule.get("resourceNames") or [""]:
                            pairs.add((f"{qualified}/{name_}" if name_ else qualified, verb))
    return pairs


def test_can_i_list_as_the_operator_shows_nothing_more_than_the_chart_grants(
    cluster: ClusterCli, namespace: str
) -> None:
    values = ["operator.image.tag=never-started", "operator.image.pullPolicy=Never"]
    cluster.install(RELEASE, namespace, *values, wait=False)
    try:
        held = _can_i_list(cluster, namespace, f"system:serviceaccount:{namespace}:{OPERATOR}")
        expected = _chart_rules(cluster, namespace) | EVERYONE
        assert held == expected, (sorted(held - expected), sorted(expected - held))
        assert ("pods", "create") not in held
        assert ("secrets", "delete") not in held
    finally:
        cluster.helm("uninstall", RELEASE, "--namespace", namespace, check=False)
