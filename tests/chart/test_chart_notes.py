"""NOTES.txt tells a person how to reach the hub and read the admin password."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.chart.chart_render import NAMESPACE, template
from tests.fixtures.paths import CHART

# `helm template` does not print NOTES.txt, so a copy of the chart renders it into a ConfigMap.
NOTES_PROBE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: {{ include "stellars-jupyterhub/templates/NOTES.txt" . | quote }}
"""


@pytest.fixture(scope="module")
def probe_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chart = tmp_path_factory.mktemp("chart") / "stellars-jupyterhub"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "notes-probe.yaml").write_text(NOTES_PROBE, encoding="utf-8")
    return chart


def notes(helm: Path, chart: Path, values: dict[str, Any]) -> str:
    result = template(helm, values, chart=chart, include_crds=False)
    assert result.returncode == 0, result.stderr
    return str(result.one("ConfigMap", "notes")["data"]["notes"])


def test_without_a_hub_notes_say_how_to_create_one(helm: Path, probe_chart: Path) -> None:
    text = notes(helm, probe_chart, {})
    assert "watches all namespaces" in text
    assert "kind: StellarsHub" in text
    assert "kubectl apply --server-side --force-conflicts -f" in text


def test_hub_notes_give_port_forward_and_admin_password(helm: Path, probe_chart: Path) -> None:
    text = notes(helm, probe_chart, {"hub": {"create": True, "name": "demo"}})
    assert f"kubectl -n {NAMESPACE}-hub wait --for=condition=Ready stellarshub/demo" in text
    assert f"kubectl -n {NAMESPACE}-hub port-forward service/demo-proxy-public 8000:80" in text
    assert "http://localhost:8000/jupyterhub/" in text
    assert (
        f"kubectl -n {NAMESPACE}-hub get secret demo-secrets -o jsonpath='{{.data.admin-password}}'"
        " | base64 -d" in text
    )
    assert 'admin user "admin"' in text


def test_hub_notes_give_the_ingress_url(helm: Path, probe_chart: Path) -> None:
    spec = {
        "baseUrl": "/team/",
        "admin": {"name": "boss", "passwordSecretRef": {"name": "boss-password", "key": "pw"}},
        "exposure": {
            "ingress": {"enabled": True, "host": "hub.example.org", "tlsSecretName": "tls"}
        },
    }
    text = notes(helm, probe_chart, {"hub": {"create": True, "name": "team", "spec": spec}})
    assert "https://hub.example.org/team/" in text
    assert "port-forward" not in text
    assert 'admin user "boss"' in text
    assert "get secret boss-password -o jsonpath='{.data.pw}'" in text
