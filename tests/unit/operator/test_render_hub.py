"""render/hub.py: the hub Deployment and Service."""

from __future__ import annotations

from typing import Any

from stellars_operator.render.config import config_hash
from stellars_operator.render.hub import render_hub, render_hub_deployment, render_hub_service
from stellars_operator.render.proxy import render_proxy_deployment
from tests.unit.operator.conftest import make_hub
from tests.unit.operator.render_checks import assert_restricted


def _container(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = render_hub_deployment(make_hub(spec))["spec"]["template"]["spec"][
        "containers"
    ][0]
    return container


def _env(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in _container(spec)["env"]}


def test_one_replica_recreate() -> None:
    deployment = render_hub_deployment(make_hub())
    assert deployment["metadata"]["name"] == "demo-hub"
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    template = deployment["spec"]["template"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= template["metadata"]["labels"].items()
    assert template["spec"]["serviceAccountName"] == "demo-hub"


def test_security_context_is_restricted_with_uid_1000() -> None:
    pod = render_hub_deployment(make_hub())["spec"]["template"]["spec"]
    assert_restricted(pod)
    assert pod["securityContext"]["runAsUser"] == 1000
    assert pod["securityContext"]["fsGroup"] == 1000


def test_probes_hit_the_health_endpoint_under_the_base_url() -> None:
    container = _container({"baseUrl": "/team/"})
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/team/hub/health", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8081, "protocol": "TCP"}]
    assert _container({"baseUrl": "/"})["readinessProbe"]["httpGet"]["path"] == "/hub/health"


def test_environment_follows_the_settings_contract() -> None:
    env = _env()
    assert env["JUPYTERHUB_SPAWNER"] == "kubernetes"
    assert env["JUPYTERHUB_ADMIN"] == "admin"
    assert env["JUPYTERHUB_BASE_URL"] == "/jupyterhub"
    # the GPU placement reaches labs through gpu.json, never through the hub's environment
    assert "ENABLE_GPU_SUPPORT" not in env
    assert env["ENABLE_SERVICE_MLFLOW"] == "1"
    assert env["STELLARS_DATA_DIR"] == "/data"
    assert env["STELLARS_HUB_SETTINGS"] == "/etc/stellars/settings.json"
    assert env["STELLARS_GPU_SETTINGS"] == "/etc/stellars/gpu/gpu.json"
    assert env["STELLARS_PROXY_API_URL"] == "http://demo-proxy-api:8001"
    assert env["STELLARS_HUB_CONNECT_URL"] == "http://demo-hub:8081"
    assert env["POD_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["CONFIGPROXY_AUTH_TOKEN"] == {
        "secretKeyRef": {"name": "demo-secrets", "key": "proxy-token"}
    }
    assert env["JPY_COOKIE_SECRET"] == {
        "secretKeyRef": {"name": "demo-secrets", "key": "cookie-secret"}
    }
    assert env["JUPYTERHUB_ADMIN_PASSWORD"] == {
        "secretKeyRef": {"name": "demo-secrets", "key": "admin-password"}
    }


def test_service_toggles_reach_the_environment() -> None:
    env = _env({"gpu": {"mode": "off"}, "services": {"glances": False}})
    assert env["ENABLE_SERVICE_GLANCES"] == "0"


def test_changing_the_gpu_spec_does_not_touch_the_hub_deployment() -> None:
    """The hub reads gpu.json at every spawn: no GPU setting may restart it."""
    base = render_hub_deployment(make_hub())
    for gpu in ({"mode": "off"}, {"mode": "on"}, {"perUser": 2, "resourceName": "amd.com/gpu"}):
        assert render_hub_deployment(make_hub({"gpu": gpu})) == base


def test_admin_password_from_the_users_secret() -> None:
    env = _env({"admin": {"name": "chief", "passwordSecretRef": {"name": "pw", "key": "k"}}})
    assert env["JUPYTERHUB_ADMIN"] == "chief"
    assert env["JUPYTERHUB_ADMIN_PASSWORD"] == {"secretKeyRef": {"name": "pw", "key": "k"}}


def test_volumes_data_pvc_and_both_configmaps() -> None:
    pod = render_hub_deployment(make_hub())["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["data"] == {
        "name": "data",
        "persistentVolumeClaim": {"claimName": "demo-hub-data"},
    }
    sources = volumes["settings"]["projected"]["sources"]
    assert [s["configMap"]["name"] for s in sources] == ["demo-config", "demo-gpu"]
    paths = [item["path"] for s in sources for item in s["configMap"]["items"]]
    assert paths == ["settings.json", "gpu/gpu.json"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts == {"data": "/data", "settings": "/etc/stellars", "tmp": "/tmp"}


def test_resources_from_the_spec() -> None:
    container = _container({"resources": {"hub": {"limits": {"memory": "3Gi"}}}})
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "3Gi"}
    assert container["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}


def test_config_hash_annotation_changes_with_config() -> None:
    def annotation(spec: dict[str, Any]) -> str:
        template = render_hub_deployment(make_hub(spec))["spec"]["template"]
        value: str = template["metadata"]["annotations"]["stellars.io/config-hash"]
        return value

    base = annotation({})
    assert base == config_hash(make_hub())
    assert annotation({"notebookImage": "other:1"}) != base
    assert annotation({"storage": {"home": "3Gi"}}) != base
    assert annotation({"extraEnv": {"A": "b"}}) != base
    # GPU settings live in <hub>-gpu, read at spawn time: no hub restart for them
    assert annotation({"gpu": {"perUser": 2, "nodeSelector": {"a": "b"}}}) == base
    assert annotation({"gpu": {"resourceName": "amd.com/gpu"}}) == base


def test_service_on_8081() -> None:
    service = render_hub_service(make_hub())
    assert service["metadata"]["name"] == "demo-hub"
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 8081, "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "hub"
    assert [c["kind"] for c in render_hub(make_hub())] == ["Deployment", "Service"]


def test_extra_config_reaches_the_hub_as_files_and_rolls_it() -> None:
    plain = render_hub_deployment(make_hub())
    spec = {"hub": {"extraConfig": {"b-roles": "c.A.b = 2\n", "a-auth": "c.A.a = 1\n"}}}
    with_snippets = render_hub_deployment(make_hub(spec))
    volume = with_snippets["spec"]["template"]["spec"]["volumes"][1]
    items = volume["projected"]["sources"][0]["configMap"]["items"]
    assert items[1:] == [
        {"key": "extra-config.a-auth.py", "path": "extra-config/a-auth.py"},
        {"key": "extra-config.b-roles.py", "path": "extra-config/b-roles.py"},
    ]
    env = {
        e["name"]: e.get("value")
        for e in with_snippets["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["STELLARS_EXTRA_CONFIG_DIR"] == "/etc/stellars/extra-config"
    annotation = "stellars.io/config-hash"
    assert (
        plain["spec"]["template"]["metadata"]["annotations"][annotation]
        != with_snippets["spec"]["template"]["metadata"]["annotations"][annotation]
    )


def test_a_hub_that_stops_at_start_leaves_its_reason_in_the_pods_status() -> None:
    container = render_hub_deployment(make_hub())["spec"]["template"]["spec"]["containers"][0]
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"


def test_hub_and_proxy_root_filesystems_are_read_only_with_an_empty_tmp() -> None:
    for deployment in (render_hub_deployment(make_hub()), render_proxy_deployment(make_hub())):
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in pod["volumes"]
