"""A person's story with the chart: install, add a hub, use it, upgrade, uninstall.

One release in the test's namespace, watching only that namespace and the hub's, which the chart
creates beside it (other tests' hubs are not its business). Needs a cluster with a kubelet and
our images in it.
"""

from __future__ import annotations

import base64

import pytest
import requests

from tests.fixtures.hub_client import HubClient, login_error
from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.polling import eventually

pytestmark = [pytest.mark.cluster, pytest.mark.kubelet, pytest.mark.timeout(1800)]

RELEASE = "e2e"
OPERATOR = f"{RELEASE}-stellars-jupyterhub-operator"
HUB = "lab"
SINGLEUSER_LABELS = {
    "app.kubernetes.io/name": "stellars-jupyterhub",
    "app.kubernetes.io/instance": HUB,
    "app.kubernetes.io/component": "singleuser",
    "app.kubernetes.io/managed-by": "stellars-operator",
    "app.kubernetes.io/part-of": "stellars-jupyterhub-ds",
}


def _hub_namespace(namespace: str) -> str:
    """Where the chart puts its hub by default: beside the operator's, never in it."""
    return f"{namespace}-hub"


def _hub_values(namespace: str) -> list[str]:
    return [
        f"watchNamespaces={{{namespace},{_hub_namespace(namespace)}}}",
        "hub.create=true",
        f"hub.name={HUB}",
        "hub.spec.notebookImage=stellars/jupyterlab-slim:0.1.0",
        "hub.spec.imagePullPolicy=IfNotPresent",
    ]


def _user_volume(cluster: ClusterCli, namespace: str) -> str:
    """A user PVC as KubeSpawner makes them; returns its UID."""
    labels = "".join(f"\n    {key}: {value}" for key, value in SINGLEUSER_LABELS.items())
    manifest = f"""apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {HUB}--alice-home
  namespace: {namespace}
  labels:{labels}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: 1Gi}}}}
"""
    cluster.kubectl("apply", "-f", "-", stdin=manifest)
    claim = cluster.get("pvc", f"{HUB}--alice-home", namespace=namespace)
    assert claim is not None
    return str(claim["metadata"]["uid"])


def _uid(cluster: ClusterCli, kind: str, name: str, namespace: str) -> str | None:
    found = cluster.get(kind, name, namespace=namespace)
    return str(found["metadata"]["uid"]) if found else None


def _admin_password(cluster: ClusterCli, namespace: str) -> str:
    secret = cluster.get("secret", f"{HUB}-secrets", namespace=namespace)
    assert secret is not None
    return base64.b64decode(secret["data"]["admin-password"]).decode()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=10).status_code == 200
    except requests.RequestException:
        return False


def _wait_hub_ready(cluster: ClusterCli, namespace: str) -> None:
    cluster.kubectl(
        "-n",
        namespace,
        "wait",
        "--for=condition=Ready",
        f"stellarshub/{HUB}",
        "--timeout=600s",
        timeout=660,
    )


def test_install_use_upgrade_uninstall(
    cluster: ClusterCli, namespace: str, chart_images: tuple[str, ...]
) -> None:
    # 1. `helm install`: the operator alone, Ready, its liveness endpoint answering.
    cluster.install(RELEASE, namespace, f"watchNamespaces={{{namespace}}}", wait=True)
    operator = cluster.get("deployment", OPERATOR, namespace=namespace)
    assert operator is not None
    assert operator["status"].get("readyReplicas") == 1, operator["status"]
    with cluster.port_forward(namespace, f"deployment/{OPERATOR}", 8080) as url:
        eventually(lambda: _answers(f"{url}/healthz"), timeout=30, what="GET /healthz is 200")

    # 2. `helm upgrade --set hub.create=true`: a Ready hub whose URL answers, in its own namespace.
    notes = cluster.install(RELEASE, namespace, *_hub_values(namespace), wait=True)
    operator_namespace, namespace = namespace, _hub_namespace(namespace)
    try:
        _use_upgrade_uninstall(cluster, operator_namespace, namespace, notes)
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false")


def _use_upgrade_uninstall(
    cluster: ClusterCli, operator_namespace: str, namespace: str, notes: str
) -> None:
    assert f"port-forward service/{HUB}-proxy-public 8000:80" in notes
    assert f"get secret {HUB}-secrets -o jsonpath='{{.data.admin-password}}'" in notes
    _wait_hub_ready(cluster, namespace)
    hub = cluster.get("stellarshub", HUB, namespace=namespace)
    assert hub is not None
    assert hub["status"]["url"] == f"http://{HUB}-proxy-public.{namespace}.svc/jupyterhub/"
    password = _admin_password(cluster, namespace)
    with cluster.port_forward(namespace, f"service/{HUB}-proxy-public", 80) as url:
        admin = HubClient(f"{url}/jupyterhub")
        assert admin.page("/hub/login").status_code == 200
        assert admin.log_in("admin", password).status_code == 302
        alice = HubClient(f"{url}/jupyterhub")
        alice.sign_up("alice", "alice-password-1")
        assert admin.page("/hub/authorize/alice").status_code == 200
        assert alice.log_in("alice", "alice-password-1").status_code == 302
        admin_cookies = admin.http.cookies.copy()

    # 3. User data exists: a user volume, and the hub's own data volume.
    user_volume = _user_volume(cluster, namespace)
    hub_data = _uid(cluster, "pvc", f"{HUB}-hub-data", namespace)
    assert hub_data is not None
    hub_deployment = cluster.get("deployment", f"{HUB}-hub", namespace=namespace)
    assert hub_deployment is not None
    old_template = hub_deployment["spec"]["template"]

    # 4. `helm upgrade` with changed values: the hub and the operator follow, data stays.
    cluster.install(
        RELEASE,
        operator_namespace,
        *_hub_values(operator_namespace),
        "hub.spec.services.mlflow=false",
        "operator.resources.limits.memory=300Mi",
        wait=True,
    )
    operator = cluster.get("deployment", OPERATOR, namespace=operator_namespace)
    assert operator is not None
    (container,) = operator["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["memory"] == "300Mi"

    def hub_rolled() -> bool:
        found = cluster.get("deployment", f"{HUB}-hub", namespace=namespace)
        assert found is not None
        return bool(found["spec"]["template"] != old_template)

    eventually(hub_rolled, timeout=180, what="the hub Deployment takes the new settings")
    cluster.kubectl(
        "-n", namespace, "rollout", "status", f"deployment/{HUB}-hub", "--timeout=600s", timeout=660
    )
    _wait_hub_ready(cluster, namespace)
    assert _uid(cluster, "pvc", f"{HUB}--alice-home", namespace) == user_volume
    assert _uid(cluster, "pvc", f"{HUB}-hub-data", namespace) == hub_data
    assert _admin_password(cluster, namespace) == password
    with cluster.port_forward(namespace, f"service/{HUB}-proxy-public", 80) as url:
        # The hub restarted on the same data: sessions and accounts are still there.
        admin = HubClient(f"{url}/jupyterhub")
        admin.http.cookies.update(admin_cookies)
        eventually(admin.is_logged_in, timeout=120, what="the admin is still logged in")
        alice = HubClient(f"{url}/jupyterhub")
        response = alice.log_in("alice", "alice-password-1")
        assert response.status_code == 302, login_error(response.text)

    # 5. `helm uninstall`: the hub and the operator go, the users' volumes and the CRD stay.
    cluster.helm(
        "uninstall", RELEASE, "--namespace", operator_namespace, "--wait", "--timeout", "10m"
    )
    assert cluster.get("stellarshub", HUB, namespace=namespace) is None
    assert cluster.get("deployment", OPERATOR, namespace=operator_namespace) is None
    assert cluster.get("serviceaccount", OPERATOR, namespace=operator_namespace) is None
    assert cluster.get("clusterrole", f"{operator_namespace}-{OPERATOR}-cluster") is None
    assert cluster.get("role", OPERATOR, namespace=operator_namespace) is None
    # The hub's namespace holds the users' volumes: uninstall keeps it, and them.
    assert cluster.get("namespace", namespace) is not None
    assert _uid(cluster, "pvc", f"{HUB}--alice-home", namespace) == user_volume
    assert cluster.get("crd", "stellarshubs.stellars.io") is not None
    eventually(
        lambda: cluster.get("deployment", f"{HUB}-hub", namespace=namespace) is None,
        timeout=120,
        what="the hub's children are garbage-collected",
    )
