"""kube.py: resource paths for every kind the operator touches."""

import pytest

from stellars_operator.gpu import decide
from stellars_operator.kube import RESOURCES, manifest_path, resource_path
from stellars_operator.render import render_children
from stellars_operator.spec import GpuSpec
from tests.unit.operator.conftest import make_hub


@pytest.mark.parametrize(
    ("api_version", "kind", "path"),
    [
        ("v1", "ConfigMap", "/api/v1/namespaces/ns/configmaps/x"),
        ("apps/v1", "Deployment", "/apis/apps/v1/namespaces/ns/deployments/x"),
        ("networking.k8s.io/v1", "Ingress", "/apis/networking.k8s.io/v1/namespaces/ns/ingresses/x"),
        ("storage.k8s.io/v1", "StorageClass", "/apis/storage.k8s.io/v1/storageclasses/x"),
        (
            "stellars.io/v1alpha1",
            "StellarsHub",
            "/apis/stellars.io/v1alpha1/namespaces/ns/stellarshubs/x",
        ),
    ],
)
def test_paths(api_version: str, kind: str, path: str) -> None:
    assert resource_path(api_version, kind, namespace="ns", name="x") == path


def test_collection_path_and_manifest_path() -> None:
    assert resource_path("v1", "Pod", namespace="ns") == "/api/v1/namespaces/ns/pods"
    manifest = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}}
    assert manifest_path(manifest) == "/api/v1/namespaces/n/secrets/s"


def test_every_rendered_kind_is_known() -> None:
    spec = {
        "exposure": {"ingress": {"enabled": True, "host": "h.io"}},
        "storage": {"shared": {"enabled": True}},
    }
    children = render_children(make_hub(spec), secret_values={}, gpu=decide([], GpuSpec()))
    assert {(c["apiVersion"], c["kind"]) for c in children} <= set(RESOURCES)
