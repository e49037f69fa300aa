"""The chart's RBAC: for every verb the operator holds, the code path that uses it, and nothing
more. The table below is the review: a grant without a row, or a row without a grant, fails.

The hub's own rules are not the operator's: the chart ships them as a ClusterRole (equal to
render.rbac.HUB_RULES) that the operator may only bind, by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stellars_operator.apply import PRUNABLE_KINDS
from stellars_operator.kube import RESOURCES
from stellars_operator.leader_election import DEFAULT_LEASE_NAME
from stellars_operator.render.rbac import HUB_RULES
from tests.chart.chart_render import NAMESPACE, RELEASE, Rendered, template
from tests.chart.chart_values import OPERATOR

Grant = tuple[str, str, str]  # (apiGroup, resource, verb)
RBAC = "rbac.authorization.k8s.io"
HUB_CLUSTER_ROLE = f"{RELEASE}-stellars-jupyterhub-hub"

_CHILD = "render/ children: apply.apply_children (server-side apply: create when new, patch)"
_WATCH = "handlers/indexes.py: kopf watches children (watched.CHILD_KINDS) and serves reads"
_GET = "watched.WatchedKube.get: falls back to the API for what no index holds"
_PRUNE = "apply.prune_children: a child the spec no longer wants (PRUNABLE_KINDS)"

# Namespaced grants -> the code that uses them.
NAMESPACED_USES: dict[Grant, str] = {
    ("stellars.io", "stellarshubs", "get"): "kopf: reads a hub on resume",
    ("stellars.io", "stellarshubs", "list"): "kopf: the hub watch's initial list",
    ("stellars.io", "stellarshubs", "watch"): "kopf: the hub watch",
    ("stellars.io", "stellarshubs", "patch"): "kopf: finalizer and progress annotations",
    ("stellars.io", "stellarshubs/status", "patch"): "reconcile.patch_status, refresh_gpu",
    ("stellars.io", "stellarshubs/finalizers", "update"): "owner references with "
    "blockOwnerDeletion (OwnerReferencesPermissionEnforcement)",
    ("", "events", "create"): "kopf.info / kopf.warn in handlers/",
    ("rbac.authorization.k8s.io", "clusterroles", "bind"): "render/rbac.py: the hub's "
    "RoleBinding to the hubs' ClusterRole (this one name only)",
    ("", "pods", "list"): "teardown.stop_user_servers: a deleted hub's user servers",
    ("", "pods", "delete"): "teardown.stop_user_servers",
    ("", "persistentvolumeclaims", "delete"): "teardown.delete_user_data "
    "(spec.storage.deleteUserDataOnHubDelete only)",
    (RBAC, "roles", "list"): _PRUNE + ": the Role an older operator made",
    (RBAC, "roles", "watch"): _WATCH,
    (RBAC, "roles", "delete"): _PRUNE + ": the Role an older operator made",
    ("", "secrets", "get"): "preflight.check_references (spec.admin.passwordSecretRef); " + _GET,
}
for _group, _resources in {
    "": ("serviceaccounts", "configmaps", "services", "secrets", "persistentvolumeclaims"),
    "apps": ("deployments",),
    "networking.k8s.io": ("ingresses", "networkpolicies"),
    RBAC: ("rolebindings",),
}.items():
    for _resource in _resources:
        NAMESPACED_USES.setdefault((_group, _resource, "create"), _CHILD)
        NAMESPACED_USES.setdefault((_group, _resource, "patch"), _CHILD)
        NAMESPACED_USES.setdefault((_group, _resource, "list"), _WATCH)
        NAMESPACED_USES.setdefault((_group, _resource, "watch"), _WATCH)
        NAMESPACED_USES.setdefault((_group, _resource, "get"), _GET)
        if _resource not in ("secrets", "persistentvolumeclaims"):
            NAMESPACED_USES.setdefault((_group, _resource, "delete"), _PRUNE)

CLUSTER_USES: dict[Grant, str] = {
    ("", "nodes", "get"): "gpu.decide: a Node's labels",
    ("", "nodes", "list"): "handlers/nodes.py: the Node watch's initial list",
    ("", "nodes", "watch"): "handlers/nodes.py: GPU detection follows Nodes",
    ("storage.k8s.io", "storageclasses", "get"): "preflight.check_references (storageClass)",
    ("apiextensions.k8s.io", "customresourcedefinitions", "list"): "kopf: resource discovery",
    ("apiextensions.k8s.io", "customresourcedefinitions", "watch"): "kopf: resource discovery",
    ("", "namespaces", "list"): "kopf: namespaces to watch",
    ("", "namespaces", "watch"): "kopf: namespaces to watch",
}

# Leader election, in the release namespace only: grant -> (code path, names it is limited to).
LEASE = "stellars-operator"
LEADER_ELECTION_USES: dict[Grant, tuple[str, tuple[str, ...]]] = {
    ("coordination.k8s.io", "leases", "create"): (
        "leader_election.LeaderElector.try_acquire: the first operator makes the Lease "
        "(create cannot be limited to a name)",
        (),
    ),
    ("coordination.k8s.io", "leases", "get"): (
        "leader_election.LeaderElector: stand-by reads, renewal, release",
        (LEASE,),
    ),
    ("coordination.k8s.io", "leases", "update"): (
        "leader_election.LeaderElector: take over, renew, release (PUT with resourceVersion)",
        (LEASE,),
    ),
}


def grants(rules: list[dict[str, Any]]) -> set[Grant]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


@pytest.fixture(scope="module")
def cluster_wide(helm: Path) -> Rendered:
    return template(helm, {})


@pytest.fixture(scope="module")
def namespaced(helm: Path) -> Rendered:
    return template(helm, {"watchNamespaces": ["team-a"]})


def _cluster_rules(result: Rendered) -> list[dict[str, Any]]:
    return [
        rule
        for role in result.manifests
        if role["kind"] == "ClusterRole" and role["metadata"]["name"] != HUB_CLUSTER_ROLE
        for rule in role["rules"]
    ]


def test_every_namespaced_grant_has_a_code_path_and_every_path_its_grant(
    namespaced: Rendered,
) -> None:
    held = grants(namespaced.one("Role", OPERATOR)["rules"])
    assert sorted(held - NAMESPACED_USES.keys()) == [], "granted, used by nothing"
    assert sorted(NAMESPACED_USES.keys() - held) == [], "used, not granted"


def test_every_cluster_grant_has_a_code_path(namespaced: Rendered) -> None:
    assert grants(_cluster_rules(namespaced)) == CLUSTER_USES.keys()


def test_both_modes_grant_the_same(cluster_wide: Rendered, namespaced: Rendered) -> None:
    role = namespaced.one("Role", OPERATOR)
    assert grants(_cluster_rules(cluster_wide)) == grants(_cluster_rules(namespaced)) | grants(
        role["rules"]
    )


def test_bind_names_exactly_the_hubs_cluster_role(
    cluster_wide: Rendered, namespaced: Rendered
) -> None:
    for result in (cluster_wide, namespaced):
        binds = [
            rule
            for role in result.manifests
            if role["kind"] in ("Role", "ClusterRole")
            for rule in role.get("rules", [])
            if "bind" in rule["verbs"]
        ]
        assert binds == [
            {
                "apiGroups": [RBAC],
                "resources": ["clusterroles"],
                "resourceNames": [HUB_CLUSTER_ROLE],
                "verbs": ["bind"],
            }
        ]
    deployment = cluster_wide.one("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {"name": "STELLARS_HUB_CLUSTER_ROLE", "value": HUB_CLUSTER_ROLE} in container["env"]


def test_the_hubs_cluster_role_is_exactly_kubespawners_calls(cluster_wide: Rendered) -> None:
    role = cluster_wide.one("ClusterRole", HUB_CLUSTER_ROLE)
    assert grants(role["rules"]) == grants(HUB_RULES)


def test_the_operator_holds_none_of_the_rights_it_gives_hubs(namespaced: Rendered) -> None:
    held = grants(namespaced.one("Role", OPERATOR)["rules"])
    assert ("", "pods", "create") not in held
    assert (RBAC, "roles", "create") not in held
    assert ("", "secrets", "delete") not in held


def test_every_kind_the_operator_prunes_or_touches_is_covered() -> None:
    covered = {(group, resource) for group, resource, _ in NAMESPACED_USES}
    for api_version, kind in PRUNABLE_KINDS:
        plural, _ = RESOURCES[(api_version, kind)]
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        assert (group, plural, "delete") in NAMESPACED_USES, kind
        assert (group, plural) in covered


def test_leader_election_holds_exactly_its_lease(
    cluster_wide: Rendered, namespaced: Rendered
) -> None:
    for result in (cluster_wide, namespaced):
        role = result.one("Role", f"{OPERATOR}-leader-election")
        assert role["metadata"]["namespace"] == NAMESPACE
        held = {
            (group, resource, verb): tuple(rule.get("resourceNames") or ())
            for rule in role["rules"]
            for group in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
        }
        assert held == {grant: names for grant, (_, names) in LEADER_ELECTION_USES.items()}
        binding = result.one("RoleBinding", f"{OPERATOR}-leader-election")
        assert binding["roleRef"]["name"] == role["metadata"]["name"]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": OPERATOR, "namespace": NAMESPACE}
        ]
    (container,) = cluster_wide.one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "STELLARS_LEADER_ELECTION_LEASE", "value": LEASE} in container["env"]
    assert LEASE == DEFAULT_LEASE_NAME  # the operator's own default names the same Lease
