"""`helm template` renders valid Kubernetes 1.33 manifests for every supported value set."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.chart.chart_render import NAMESPACE, Rendered, template
from tests.chart.chart_values import OPERATOR, STANDARD_LABELS, VALUE_SETS
from tests.chart.kube_schemas import LOCATION_TEMPLATE
from tests.fixtures.binaries import pinned_versions

# The uninstall hook's ServiceAccount, Role, RoleBinding and Job.
HOOK = "stellars-stellars-jupyterhub-hub-delete"


@pytest.fixture(scope="module")
def rendered(helm: Path) -> dict[str, Rendered]:
    results = {name: template(helm, values) for name, values in VALUE_SETS.items()}
    for name, result in results.items():
        assert result.returncode == 0, f"{name}: helm template failed:\n{result.stderr}"
    return results


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_rendered_manifests_validate_against_kubernetes_1_33(
    value_set: str, rendered: dict[str, Rendered], kubeconform: Path, kube_schema_dir: Path
) -> None:
    result = subprocess.run(
        [
            str(kubeconform),
            "-strict",
            "-summary",
            "-output",
            "json",
            "-kubernetes-version",
            pinned_versions()["KUBE_VERSION"].lstrip("v"),
            "-schema-location",
            f"{kube_schema_dir}/{LOCATION_TEMPLATE}",
            "-",
        ],
        input=rendered[value_set].text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kubeconform rejected {value_set}:\n{result.stdout}"
    summary = json.loads(result.stdout)["summary"]
    assert summary["valid"] == len(rendered[value_set].manifests)
    assert summary["invalid"] == summary["errors"] == summary["skipped"] == 0


def test_defaults_render_the_crd_the_operator_and_cluster_wide_rbac(
    rendered: dict[str, Rendered],
) -> None:
    assert rendered["defaults"].kinds() == [
        "ClusterRole",
        "ClusterRole",
        "ClusterRole",  # the hubs' (bound per hub, in its namespace)
        "ClusterRoleBinding",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "Deployment",
        "Role",  # leader election: the Lease in the release namespace
        "RoleBinding",
        "ServiceAccount",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ]


def test_every_object_carries_the_standard_labels(rendered: dict[str, Rendered]) -> None:
    for name, result in rendered.items():
        for manifest in result.manifests:
            if manifest["kind"] == "CustomResourceDefinition":
                continue  # the CRD is the repository's file, byte for byte
            labels = manifest["metadata"]["labels"]
            where = f"{name}: {manifest['kind']}/{manifest['metadata']['name']}"
            assert labels.items() >= STANDARD_LABELS.items(), where
            assert labels["helm.sh/chart"] == "stellars-jupyterhub-0.1.0", where
            hub_side = manifest["kind"] in ("StellarsHub", "Namespace")
            expected = "hub" if manifest["kind"] == "Namespace" else "operator"
            if not hub_side or manifest["kind"] == "Namespace":
                assert labels["app.kubernetes.io/component"] == expected, where


def test_operator_deployment_is_one_hardened_replica(rendered: dict[str, Rendered]) -> None:
    deployment = rendered["defaults"].one("Deployment", OPERATOR)
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    # One leads at a time (a Lease): the new pod stands by until the old one has left.
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == OPERATOR
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 1000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    assert container["image"] == "stellars/stellars-operator:0.1.0"
    assert container["args"] == [
        "--all-namespaces",
        "--liveness=http://0.0.0.0:8080/healthz",
    ]
    assert container["ports"] == [{"name": "health", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == 1000
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"][0]["name"] == "tmp" and "emptyDir" in pod["volumes"][0]
    assert container["resources"] == {
        "requests": {"cpu": "50m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    }


def test_custom_values_reach_the_operator_pod(rendered: dict[str, Rendered]) -> None:
    values = VALUE_SETS["custom-resources"]["operator"]
    pod = rendered["custom-resources"].one("Deployment")["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    assert container["resources"] == values["resources"]
    assert container["image"] == "stellars/stellars-operator:0.1.0-dev"
    assert container["imagePullPolicy"] == "Never"
    assert container["args"][-1] == "--verbose"
    assert container["env"][-2:] == values["extraEnv"]
    assert pod["metadata"]["labels"]["team"] == "data"
    assert pod["metadata"]["annotations"] == values["podAnnotations"]
    for key in ("nodeSelector", "tolerations", "affinity", "priorityClassName"):
        assert pod["spec"][key] == values[key], key
    assert pod["spec"]["imagePullSecrets"] == [{"name": "registry-credentials"}]


def test_watch_namespaces_get_roles_and_nodes_stay_cluster_scoped(
    rendered: dict[str, Rendered],
) -> None:
    result = rendered["watch-namespaces"]
    watched = VALUE_SETS["watch-namespaces"]["watchNamespaces"]
    (container,) = result.one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["args"][:3] == [f"--namespace={ns}" for ns in watched]
    assert "--all-namespaces" not in container["args"]
    roles = [m for m in result.manifests if m["kind"] == "Role"]
    bindings = [m for m in result.manifests if m["kind"] == "RoleBinding"]
    operator_roles = [r for r in roles if r["metadata"]["name"] == OPERATOR]
    assert sorted(r["metadata"]["namespace"] for r in operator_roles) == sorted(watched)
    assert {b["metadata"]["namespace"] for b in bindings} >= set(watched)
    (cluster_role,) = [
        m
        for m in result.manifests
        if m["kind"] == "ClusterRole" and not m["metadata"]["name"].endswith("-hub")
    ]
    resources = {r for rule in cluster_role["rules"] for r in rule["resources"]}
    assert resources == {"nodes", "storageclasses", "customresourcedefinitions", "namespaces"}
    for rule in cluster_role["rules"]:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}


def test_hub_create_renders_the_stellarshub_and_its_uninstall_hook(
    rendered: dict[str, Rendered],
) -> None:
    assert "StellarsHub" not in rendered["defaults"].kinds()
    hub = rendered["ingress-hub"].one("StellarsHub", "team")
    assert hub["apiVersion"] == "stellars.io/v1alpha1"
    # Not the operator's namespace (docs/security.md): its own, kept on uninstall.
    assert hub["metadata"]["namespace"] == f"{NAMESPACE}-hub"
    namespace = rendered["ingress-hub"].one("Namespace", f"{NAMESPACE}-hub")
    assert namespace["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert hub["metadata"]["labels"]["team"] == "data"
    assert hub["metadata"]["annotations"] == {"example.org/owner": "data-team"}
    assert hub["spec"] == VALUE_SETS["ingress-hub"]["hub"]["spec"]
    assert rendered["hub"].one("StellarsHub", "stellars")["spec"] == {}
    job = rendered["hub"].one("Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-delete"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert {"name": "HUB_NAME", "value": "stellars"} in container["env"]
    assert container["command"] == ["python3", "-m", "stellars_operator.delete_hub"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "HUB_NAMESPACE", "value": f"{NAMESPACE}-hub"} in container["env"]
    hook_role = rendered["hub"].one("Role", HOOK)
    assert hook_role["metadata"]["namespace"] == f"{NAMESPACE}-hub"
    assert rendered["hub"].one("RoleBinding", HOOK)["subjects"][0]["namespace"] == NAMESPACE
    assert hook_role["rules"] == [
        {
            "apiGroups": ["stellars.io"],
            "resources": ["stellarshubs"],
            "resourceNames": ["stellars"],
            "verbs": ["get", "delete"],
        }
    ]


def test_existing_service_account_without_rbac(rendered: dict[str, Rendered]) -> None:
    result = rendered["existing-service-account"]
    assert result.kinds() == [
        "CustomResourceDefinition",
        "Deployment",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ]
    deployment = result.one("Deployment", "platform-operator")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "platform-operator"


def test_hub_outside_the_watched_namespaces_fails_with_a_clear_message(helm: Path) -> None:
    result = template(helm, {"watchNamespaces": ["team-a"], "hub": {"create": True}})
    assert result.returncode != 0
    assert f'the hub\'s namespace "{NAMESPACE}-hub"' in result.stderr
    assert "is not in watchNamespaces" in result.stderr


def test_a_hub_in_the_operators_namespace_is_the_admins_explicit_choice(helm: Path) -> None:
    result = template(helm, {"hub": {"create": True, "namespace": NAMESPACE}})
    assert result.returncode == 0, result.stderr
    hub = next(m for m in result.manifests if m["kind"] == "StellarsHub")
    assert hub["metadata"]["namespace"] == NAMESPACE
    assert hub["metadata"]["annotations"] == {"stellars.io/allow-operator-namespace": "true"}
    assert "Namespace" not in [m["kind"] for m in result.manifests]


def test_the_admission_policy_is_on_by_default_and_can_be_left_out(helm: Path) -> None:
    result = template(helm, {"hubAdmissionPolicy": {"enabled": False}})
    assert result.returncode == 0, result.stderr
    kinds = [m["kind"] for m in result.manifests]
    assert "ValidatingAdmissionPolicy" not in kinds
    assert "ValidatingAdmissionPolicyBinding" not in kinds
