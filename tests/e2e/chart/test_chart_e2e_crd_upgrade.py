"""The documented CRD upgrade path (docs/helm.md) on a real API server.

Helm installs crds/ once and never upgrades it; the documented path is
`kubectl apply --server-side --force-conflicts -f crds/stellarshub.yaml` before `helm upgrade`.

The shared stellarshubs.stellars.io CRD is not touched: the test installs copies of the chart
whose CRD lives in a group of its own, an "old" one lacking spec.baseUrl and the current one.
Needs an API server only (the operator's pod need not run).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.paths import CHART
from tests.fixtures.polling import eventually

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(900)]

NEW_FIELD = "baseUrl"


def _crd_in_group(group: str, *, without: str | None) -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(
        (CHART / "crds" / "stellarshub.yaml").read_text(encoding="utf-8")
    )
    crd["spec"]["group"] = group
    crd["metadata"]["name"] = f"{crd['spec']['names']['plural']}.{group}"
    crd["spec"]["names"].pop("shortNames", None)  # `shub` belongs to the real CRD
    if without:
        for version in crd["spec"]["versions"]:
            spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
            del spec["properties"][without]
    return crd


def _chart_with(crd: dict[str, Any], where: Path) -> Path:
    chart = where / "stellars-jupyterhub"
    shutil.copytree(CHART, chart)
    (chart / "crds" / "stellarshub.yaml").write_text(yaml.safe_dump(crd), encoding="utf-8")
    return chart


def _create_hub(cluster: ClusterCli, namespace: str, group: str, name: str) -> Any:
    manifest = {
        "apiVersion": f"{group}/v1alpha1",
        "kind": "StellarsHub",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {NEW_FIELD: "/upgraded"},
    }
    return cluster.kubectl(
        "create", "--validate=strict", "-f", "-", stdin=yaml.safe_dump(manifest), check=False
    )


def test_kubectl_apply_before_helm_upgrade_serves_the_new_crd(
    cluster: ClusterCli, namespace: str, tmp_path: Path
) -> None:
    group = f"{namespace}.e2e.stellars.io"
    old_crd = _crd_in_group(group, without=NEW_FIELD)
    new_crd = _crd_in_group(group, without=None)
    old_chart = _chart_with(old_crd, tmp_path / "old")
    new_chart = _chart_with(new_crd, tmp_path / "new")
    crd_name = new_crd["metadata"]["name"]
    watch = f"watchNamespaces={{{namespace}}}"
    try:
        # Install with the old CRD: the field is unknown to the API server.
        cluster.install("crd-upgrade", namespace, watch, chart=old_chart, wait=False)
        cluster.kubectl("wait", "--for=condition=Established", f"crd/{crd_name}")
        refused = _create_hub(cluster, namespace, group, "before")
        assert refused.returncode != 0
        assert f'unknown field "spec.{NEW_FIELD}"' in refused.stderr

        # `helm upgrade` alone leaves the CRD as it was (why the documented step exists).
        cluster.install("crd-upgrade", namespace, watch, chart=new_chart, wait=False)
        served = cluster.get("crd", crd_name)
        assert served is not None
        spec_schema = served["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        assert NEW_FIELD not in spec_schema["properties"]["spec"]["properties"]

        # The documented path: apply the chart's CRD, then `helm upgrade`.
        cluster.kubectl(
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            str(new_chart / "crds" / "stellarshub.yaml"),
        )
        cluster.install("crd-upgrade", namespace, watch, chart=new_chart, wait=False)

        def accepted() -> bool:
            return bool(_create_hub(cluster, namespace, group, "after").returncode == 0)

        eventually(accepted, timeout=60, what=f"the API server serves spec.{NEW_FIELD}")
        hub = cluster.get(f"stellarshubs.{group}", "after", namespace=namespace)
        assert hub is not None
        assert hub["spec"][NEW_FIELD] == "/upgraded"
    finally:
        cluster.helm("uninstall", "crd-upgrade", "--namespace", namespace, check=False)
        cluster.kubectl("delete", "crd", crd_name, "--ignore-not-found", "--wait=true", check=False)
