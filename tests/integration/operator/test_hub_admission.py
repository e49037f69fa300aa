"""Acting as a hub's ServiceAccount (as code running in a compromised hub would), each pod the
chart's admission policy forbids is refused by the real API server; the pods KubeSpawner makes
are not. The policy is the chart's own (tests/fixtures/chart_objects.py installs it)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stellars_operator.kube import Kube
from stellars_operator.render.rbac import render_rbac
from stellars_operator.spec import parse_hub
from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import create_hub

pytestmark = pytest.mark.cluster

EXTRA_SECRET = "datasets-credentials"


def lab_pod(hub: str) -> dict[str, Any]:
    """A user pod as KubeSpawner makes it for this platform (restricted, no token)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": f"{hub}-jupyter-"},
        "spec": {
            "serviceAccountName": f"{hub}-user",
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 1000,
                "fsGroup": 100,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "notebook",
                    "image": "stellars/jupyterlab-slim:test",
                    "env": [{"name": "JUPYTERHUB_USER", "value": "alice"}],
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "volumeMounts": [{"name": "home", "mountPath": "/home/lab"}],
                }
            ],
            "volumes": [
                {"name": "home", "persistentVolumeClaim": {"claimName": f"{hub}-alice-home"}},
                {"name": "data", "secret": {"secretName": EXTRA_SECRET}},
            ],
        },
    }


Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    def change(pod: dict[str, Any]) -> None:
        node = pod
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
        node[last] = value

    return change


def _add_volume(volume: dict[str, Any]) -> Change:
    return lambda pod: pod["spec"]["volumes"].append(volume)


ATTACKS: dict[str, tuple[Change, str]] = {
    "runs as the operator": (
        _set("spec.serviceAccountName", "stellars-operator"),
        "may only create pods that run as ServiceAccount team-user",
    ),
    "runs as the default account": (
        _set("spec.serviceAccountName", "default"),
        "may only create pods that run as ServiceAccount team-user",
    ),
    "mounts another Secret": (
        _add_volume({"name": "s", "secret": {"secretName": "team-secrets"}}),
        "may not mount a Secret",
    ),
    "projects a Secret": (
        _add_volume(
            {"name": "p", "projected": {"sources": [{"secret": {"name": "team-secrets"}}]}}
        ),
        "may not project a Secret",
    ),
    "gets a ServiceAccount token": (
        _set("spec.automountServiceAccountToken", True),
        "may not project a Secret or a ServiceAccount token",
    ),
    "mounts the host": (
        _add_volume({"name": "h", "hostPath": {"path": "/"}}),
        "may not mount a host path",
    ),
    "mounts another hub's user volume": (
        _add_volume({"name": "v", "persistentVolumeClaim": {"claimName": "other-bob-home"}}),
        "may only mount its own claims",
    ),
    "reads a Secret into its environment": (
        _set(
            "spec.containers.0.env",
            [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "team-secrets", "key": "k"}}}],
        ),
        "may not put a Secret into a container environment",
    ),
    "takes all Secrets of a kind into its environment": (
        _set("spec.containers.0.envFrom", [{"secretRef": {"name": "team-secrets"}}]),
        "may not put a Secret into a container environment",
    ),
    "is privileged": (
        _set(
            "spec.containers.0.securityContext",
            {
                "privileged": True,
                "allowPrivilegeEscalation": True,
                "capabilities": {"drop": ["ALL"]},
            },
        ),
        "PodSecurity restricted",
    ),
    "escalates": (
        _set("spec.containers.0.securityContext.allowPrivilegeEscalation", True),
        "PodSecurity restricted",
    ),
    "adds a capability": (
        _set("spec.containers.0.securityContext.capabilities.add", ["SYS_ADMIN"]),
        "PodSecurity restricted",
    ),
    "runs as root": (_set("spec.securityContext.runAsNonRoot", False), "PodSecurity restricted"),
    "uses the host network": (_set("spec.hostNetwork", True), "PodSecurity restricted"),
}


class HubAccount:
    """kubectl as one ServiceAccount of the test's namespace (impersonation)."""

    def __init__(self, cli: ClusterCli, namespace: str, name: str) -> None:
        self.cli, self.namespace, self.name = cli, namespace, name

    def create(self, pod: dict[str, Any]) -> tuple[bool, str]:
        """Create the pod (server-side dry run: admission runs in full, nothing is stored)."""
        result = self.cli.kubectl(
            "-n", self.namespace,
            f"--as=system:serviceaccount:{self.namespace}:{self.name}",
            "create", "--dry-run=server", "-f", "-",
            stdin=json.dumps(pod), check=False,
        )  # fmt: skip
        return result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def team(
    crd: object,
    hub_admission_policy: str,
    hub_cluster_role: str,
    kube: Kube,
    kube_config: str,
    module_namespace: str,
) -> HubAccount:
    """Hub `team` (the resource only: the policy reads its spec) and its ServiceAccount with the
    Role the operator gives a hub; `extraVolumes` names one Secret."""
    spec = {"user": {"extraVolumes": [{"name": "data", "secret": {"secretName": EXTRA_SECRET}}]}}
    namespace = module_namespace
    body = create_hub(kube, namespace, "team", spec)
    for manifest in render_rbac(parse_hub(body), cluster_role=hub_cluster_role):
        kube.apply(manifest)
    # The documented layout's danger: the operator's ServiceAccount in the hub's namespace.
    operator = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "stellars-operator", "namespace": namespace},
    }
    kube.apply(operator)
    hub = HubAccount(ClusterCli(kubeconfig=Path(kube_config)), namespace, "team-hub")
    # The policy and its parameter reach the API server's admission a moment after creation.
    wait_for(
        lambda: ATTACKS["runs as the operator"][1]
        in hub.create(_attacked("runs as the operator"))[1],
        timeout=30,
        what="the admission policy to refuse a forbidden pod",
    )
    return hub


def _attacked(name: str) -> dict[str, Any]:
    pod = copy.deepcopy(lab_pod("team"))
    ATTACKS[name][0](pod)
    return pod


def test_the_pods_kubespawner_makes_are_admitted(team: HubAccount) -> None:
    admitted, output = team.create(lab_pod("team"))
    assert admitted, output


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_hub_account_cannot_create_a_pod_that(team: HubAccount, attack: str) -> None:
    admitted, output = team.create(_attacked(attack))

    assert not admitted, f"admitted: {attack}"
    assert "denied request" in output or "ValidatingAdmissionPolicy" in output, output
    assert ATTACKS[attack][1] in output, output


def test_another_hubs_account_cannot_run_pods_as_this_hubs_users(
    team: HubAccount, kube: Kube, hub_cluster_role: str
) -> None:
    body = create_hub(kube, team.namespace, "other")
    for manifest in render_rbac(parse_hub(body), cluster_role=hub_cluster_role):
        kube.apply(manifest)
    other = HubAccount(team.cli, team.namespace, "other-hub")
    wait_for(
        lambda: "other-user" in other.create(lab_pod("team"))[1],
        timeout=30,
        what="the policy to know hub other",
    )

    admitted, output = other.create(lab_pod("team"))

    assert not admitted
    assert "may only create pods that run as ServiceAccount other-user" in output, output
