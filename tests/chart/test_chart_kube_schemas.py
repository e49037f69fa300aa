"""The offline Kubernetes schemas bite: kubeconform with them rejects what the API server would."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.chart import kube_schemas
from tests.chart.kube_schemas import LOCATION_TEMPLATE

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo, labels: {app: demo}}
spec:
  replicas: 1
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers:
        - name: demo
          image: demo:1
          ports: [{name: http, containerPort: 8080}]
          livenessProbe: {httpGet: {path: /healthz, port: http}}
          resources: {limits: {cpu: 1, memory: 1Gi}}
"""

TOY_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "toys.example.org"},
    "spec": {
        "group": "example.org",
        "scope": "Namespaced",
        "names": {"kind": "Toy", "plural": "toys", "singular": "toy"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"x-kubernetes-int-or-string": True},
                                    "color": {"type": "string", "enum": ["red", "blue"]},
                                    "extra": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                    },
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


@pytest.fixture(scope="module")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("schemas")
    crd = out / "toy-crd.yaml"
    crd.write_text(yaml.safe_dump(TOY_CRD), encoding="utf-8")
    kube_schemas.write_schemas(out, crd_files=[crd])
    return out


def _validate(
    kubeconform: Path, schema_dir: Path, manifest: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(kubeconform), "-strict", "-schema-location", f"{schema_dir}/{LOCATION_TEMPLATE}", "-"],
        input=manifest,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_valid_deployment_passes(kubeconform: Path, schema_dir: Path) -> None:
    result = _validate(kubeconform, schema_dir, DEPLOYMENT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("case", "old", "new", "message"),
    [
        ("unknown-field", "replicas: 1", "replicass: 1", "additional properties 'replicass'"),
        ("wrong-type", "replicas: 1", "replicas: one", "replicas"),
        ("missing-required", "- name: demo\n", "- stdin: true\n", "missing property 'name'"),
        ("beta-api", "apps/v1", "apps/v1beta1", "could not find schema"),
    ],
)
def test_broken_manifests_fail(
    kubeconform: Path, schema_dir: Path, case: str, old: str, new: str, message: str
) -> None:
    broken = DEPLOYMENT.replace(old, new, 1)
    assert broken != DEPLOYMENT, case
    result = _validate(kubeconform, schema_dir, broken)
    assert result.returncode != 0, f"{case}: kubeconform accepted it"
    assert message in result.stdout, f"{case}: {result.stdout}"


def test_custom_resources_are_checked_against_their_crd(
    kubeconform: Path, schema_dir: Path
) -> None:
    good = (
        "apiVersion: example.org/v1\nkind: Toy\nmetadata: {name: a}\n"
        "spec: {size: 3, color: red, extra: {any: 1}}\n"
    )
    assert _validate(kubeconform, schema_dir, good).returncode == 0
    assert _validate(kubeconform, schema_dir, good.replace("size: 3", "size: '3'")).returncode == 0
    for bad in (good.replace("color: red", "color: green"), good.replace("size: 3", "sise: 3")):
        result = _validate(kubeconform, schema_dir, bad)
        assert result.returncode != 0, bad
