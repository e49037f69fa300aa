"""render/proxy.py: configurable-http-proxy from the hub image, its API and public Services."""

from stellars_operator.render.proxy import (
    proxy_args,
    render_proxy_deployment,
    render_proxy_services,
)
from tests.unit.operator.conftest import make_hub
from tests.unit.operator.render_checks import assert_restricted


def test_command_and_arguments() -> None:
    hub = make_hub({"hubImage": "hub:9", "baseUrl": "/team"})
    container = render_proxy_deployment(hub)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "hub:9"
    assert container["command"] == ["configurable-http-proxy"]
    assert container["args"] == [
        "--ip=0.0.0.0",
        "--port=8000",
        "--api-ip=0.0.0.0",
        "--api-port=8001",
        "--default-target=http://demo-hub:8081",
        "--error-target=http://demo-hub:8081/team/hub/error",
    ]
    assert container["env"] == [
        {
            "name": "CONFIGPROXY_AUTH_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "demo-secrets", "key": "proxy-token"}},
        }
    ]


def test_root_base_url_error_target() -> None:
    assert proxy_args(make_hub({"baseUrl": "/"}))[-1] == (
        "--error-target=http://demo-hub:8081/hub/error"
    )


def test_pod_is_restricted_without_an_api_token() -> None:
    deployment = render_proxy_deployment(make_hub())
    pod = deployment["spec"]["template"]["spec"]
    assert_restricted(pod)
    assert pod["automountServiceAccountToken"] is False
    assert deployment["metadata"]["name"] == "demo-proxy"
    assert deployment["spec"]["replicas"] == 1
    assert pod["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/_chp_healthz"


def test_services() -> None:
    api, public = render_proxy_services(make_hub({"exposure": {"serviceType": "LoadBalancer"}}))
    assert api["metadata"]["name"] == "demo-proxy-api"
    assert api["spec"]["type"] == "ClusterIP"
    assert api["spec"]["ports"][0]["port"] == 8001
    assert public["metadata"]["name"] == "demo-proxy-public"
    assert public["spec"]["type"] == "LoadBalancer"
    assert public["spec"]["ports"][0] == {
        "name": "http",
        "port": 80,
        "targetPort": "http",
        "protocol": "TCP",
    }
    assert api["spec"]["selector"]["app.kubernetes.io/component"] == "proxy"
