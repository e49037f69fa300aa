"""render/ingress.py: optional, pointing at the proxy's public Service."""

from stellars_operator.render.ingress import render_ingress
from tests.unit.operator.conftest import make_hub


def test_no_ingress_by_default() -> None:
    assert render_ingress(make_hub()) == []


def test_ingress_with_class_host_tls_and_annotations() -> None:
    spec = {
        "baseUrl": "/team/",
        "exposure": {
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "host": "hub.example.com",
                "tlsSecretName": "hub-tls",
                "annotations": {"a": "b"},
            }
        },
    }
    (ingress,) = render_ingress(make_hub(spec))
    assert ingress["metadata"]["name"] == "demo"
    assert ingress["metadata"]["annotations"] == {"a": "b"}
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["hub.example.com"], "secretName": "hub-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "hub.example.com"
    (path,) = rule["http"]["paths"]
    assert path["path"] == "/team"
    assert path["pathType"] == "Prefix"
    assert path["backend"] == {"service": {"name": "demo-proxy-public", "port": {"number": 80}}}


def test_plain_ingress_has_no_tls_class_or_annotations() -> None:
    spec = {"baseUrl": "/", "exposure": {"ingress": {"enabled": True, "host": "h.example.com"}}}
    (ingress,) = render_ingress(make_hub(spec))
    assert "tls" not in ingress["spec"]
    assert "ingressClassName" not in ingress["spec"]
    assert "annotations" not in ingress["metadata"]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/"
