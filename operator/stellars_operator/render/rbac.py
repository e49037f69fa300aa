"""ServiceAccounts, and the RoleBinding that gives the hub what KubeSpawner 7.1 calls.

The rules (HUB_RULES) live in a ClusterRole the chart ships (templates/hub-clusterrole.yaml,
kept equal to HUB_RULES by tests/chart/test_chart_rbac.py); each hub's RoleBinding binds it in
the hub's namespace only. The operator may bind exactly that ClusterRole (RBAC `bind` with its
name) and so needs none of its rules itself: no pod creation, no Role creation.
"""

from typing import Any

from stellars_operator.labels import ChildNames
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub

# KubeSpawner creates, reads, watches (reflectors) and deletes user pods and PVCs, and watches
# events for the spawn progress page. Secrets and Services are only used with internal_ssl or
# services_enabled, which this platform leaves off.
HUB_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": ["pods", "persistentvolumeclaims"],
        "verbs": ["get", "list", "watch", "create", "delete"],
    },
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
]


def render_rbac(hub: Hub, *, cluster_role: str) -> list[dict[str, Any]]:
    names = ChildNames(hub.name)
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": object_meta(hub, name=names.hub, component="hub"),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": object_meta(hub, name=names.hub, component="hub"),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": cluster_role,
            },
            "subjects": [{"kind": "ServiceAccount", "name": names.hub, "namespace": hub.namespace}],
        },
        {
            # User servers never talk to the Kubernetes API: no token in their pods.
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": object_meta(hub, name=names.user_service_account, component="singleuser"),
            "automountServiceAccountToken": False,
        },
    ]
