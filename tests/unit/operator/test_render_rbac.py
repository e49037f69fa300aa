"""render/rbac.py: the hub bound to the ClusterRole of KubeSpawner's calls, a token-less user
ServiceAccount, and no Role of the operator's making."""

from stellars_operator.render.rbac import HUB_RULES, render_rbac
from tests.unit.operator.conftest import make_hub


def test_the_hub_is_bound_to_the_named_cluster_role_in_its_namespace_only() -> None:
    sa, binding, user_sa = render_rbac(make_hub(), cluster_role="platform-hub")
    assert (sa["kind"], sa["metadata"]["name"]) == ("ServiceAccount", "demo-hub")
    assert binding["kind"] == "RoleBinding"  # not a ClusterRoleBinding: this namespace only
    assert binding["metadata"]["namespace"] == "team"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "platform-hub",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "demo-hub", "namespace": "team"}
    ]
    assert user_sa["metadata"]["name"] == "demo-user"
    assert user_sa["automountServiceAccountToken"] is False
    assert user_sa["metadata"]["labels"]["app.kubernetes.io/component"] == "singleuser"


def test_the_hubs_rules_allow_exactly_kubespawners_calls() -> None:
    grants = {
        (resource, verb)
        for rule in HUB_RULES
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert grants == {
        *(
            (r, v)
            for r in ("pods", "persistentvolumeclaims")
            for v in ("get", "list", "watch", "create", "delete")
        ),
        ("events", "get"),
        ("events", "list"),
        ("events", "watch"),
    }
    assert all(rule["apiGroups"] == [""] for rule in HUB_RULES)
