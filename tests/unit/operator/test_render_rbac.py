"""render/rbac.py: what KubeSpawner needs, and a token-less user ServiceAccount."""

from stellars_operator.render.rbac import render_rbac
from tests.unit.operator.conftest import make_hub


def test_hub_role_allows_exactly_kubespawners_calls() -> None:
    sa, role, binding, user_sa = render_rbac(make_hub())
    assert (sa["kind"], sa["metadata"]["name"]) == ("ServiceAccount", "demo-hub")
    assert role["kind"] == "Role"
    grants = {
        (resource, verb)
        for rule in role["rules"]
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
    assert all(rule["apiGroups"] == [""] for rule in role["rules"])
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "demo-hub",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "demo-hub", "namespace": "team"}
    ]
    assert user_sa["metadata"]["name"] == "demo-user"
    assert user_sa["automountServiceAccountToken"] is False
    assert user_sa["metadata"]["labels"]["app.kubernetes.io/component"] == "singleuser"
