"""The CRD on a real API server: it applies, the examples pass, every malformed spec is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from stellars_operator.kube import Kube, resource_path
from tests.fixtures.paths import REPO
from tests.fixtures.stellarshub import HUBS

pytestmark = pytest.mark.cluster

BAD_SPECS: list[dict[str, Any]] = yaml.safe_load(
    (REPO / "tests" / "fixtures" / "bad_specs.yaml").read_text()
)
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


# Dry runs store nothing, so they share the always-present namespace instead of a fresh one each.
DRY_RUN_NAMESPACE = "default"


def _create(
    kube: Kube, manifest: dict[str, Any], namespace: str = DRY_RUN_NAMESPACE
) -> dict[str, Any]:
    """Create with the API server's full validation, strict about unknown fields, stored nowhere."""
    manifest = {**manifest, "metadata": {**manifest["metadata"], "namespace": namespace}}
    return kube.request(
        "POST",
        resource_path(*HUBS, namespace=namespace),
        query={"dryRun": "All", "fieldValidation": "Strict"},
        body=manifest,
    )


def test_crd_is_established_with_the_designs_names(crd: dict[str, Any]) -> None:
    accepted = crd["status"]["acceptedNames"]
    assert accepted["kind"] == "StellarsHub"
    assert accepted["plural"] == "stellarshubs"
    assert accepted["shortNames"] == ["shub"]
    version = crd["spec"]["versions"][0]
    assert [c["name"] for c in version["additionalPrinterColumns"]] == [
        "Phase",
        "URL",
        "GPU",
        "Age",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_are_accepted_and_defaulted(path: Path, crd: dict[str, Any], kube: Kube) -> None:
    created = _create(kube, yaml.safe_load(path.read_text()))
    spec = created["spec"]
    assert spec["gpu"]["mode"] in ("auto", "on", "off")
    assert spec["storage"]["deleteUserDataOnHubDelete"] is False
    assert spec["resources"]["user"]["requests"]["cpu"]


def test_empty_spec_gets_every_default(crd: dict[str, Any], kube: Kube) -> None:
    created = _create(kube, {**_hub("demo"), "spec": {}})
    spec = created["spec"]
    assert spec["baseUrl"] == "/jupyterhub"
    assert spec["gpu"] == {"mode": "auto", "perUser": 1, "profiles": "auto"}
    assert spec["storage"]["shared"] == {
        "enabled": False,
        "size": "10Gi",
        "accessMode": "ReadWriteMany",
    }
    assert spec["exposure"] == {"serviceType": "ClusterIP", "ingress": {"enabled": False}}
    egress = {"publicInternet": True, "privateNetworks": False, "cloudMetadata": False}
    assert spec["network"] == {"egress": egress}
    assert spec["user"] == {"allowHostPath": False}


def _hub(name: str) -> dict[str, Any]:
    return {"apiVersion": "stellars.io/v1alpha1", "kind": "StellarsHub", "metadata": {"name": name}}


@pytest.mark.parametrize("case", BAD_SPECS, ids=[c["name"] for c in BAD_SPECS])
def test_malformed_spec_is_rejected_with_a_clear_message(
    case: dict[str, Any], crd: dict[str, Any], kube: Kube
) -> None:
    manifest = {**_hub(case.get("hubName", "bad")), "spec": case["spec"]}
    with pytest.raises(ApiException) as raised:
        _create(kube, manifest)
    assert raised.value.status in (400, 422)
    message = json.loads(raised.value.body or "{}").get("message", "")
    for fragment in case["errors"]:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("created", "change", "fragment"),
    [
        ({}, {"storage": {"storageClass": "fast"}}, "storageClass cannot change once the hub"),
        (
            {"storage": {"storageClass": "standard"}},
            {"storage": {"storageClass": "fast"}},
            "storageClass cannot change once the hub",
        ),
        ({}, {"storage": {"hubData": "5Gi"}}, "hubData cannot change once the hub exists"),
        (
            {"storage": {"shared": {"enabled": True}}},
            {"storage": {"shared": {"size": "50Gi"}}},
            "the shared volume's size, accessMode and storageClass cannot change",
        ),
    ],
    ids=["class-set", "class-changed", "hub-data-size", "shared-size"],
)
def test_what_a_claim_is_made_with_cannot_change_once_the_hub_exists(
    crd: dict[str, Any],
    kube: Kube,
    namespace: str,
    created: dict[str, Any],
    change: dict[str, Any],
    fragment: str,
) -> None:
    kube.request(
        "POST", resource_path(*HUBS, namespace=namespace), body={**_hub("claims"), "spec": created}
    )
    path = resource_path(*HUBS, namespace=namespace, name="claims")
    with pytest.raises(ApiException) as raised:
        kube.merge_patch(path, {"spec": change})
    assert raised.value.status == 422
    assert fragment in json.loads(raised.value.body or "{}").get("message", "")


def test_user_volume_sizes_and_a_disabled_shared_volume_may_change(
    crd: dict[str, Any], kube: Kube, namespace: str
) -> None:
    kube.request("POST", resource_path(*HUBS, namespace=namespace), body=_hub("claims"))
    path = resource_path(*HUBS, namespace=namespace, name="claims")
    change = {"storage": {"home": "3Gi", "shared": {"size": "20Gi", "accessMode": "ReadWriteOnce"}}}
    changed = kube.merge_patch(path, {"spec": change})
    assert changed["spec"]["storage"]["home"] == "3Gi"
    assert changed["spec"]["storage"]["shared"]["size"] == "20Gi"
