"""The operator's settings.json and gpu.json are read by the hub as meant (docs/hub-settings.md).

Renders with the operator, parses with the hub's own reader: a drift on either side fails here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stellars_hub.kube_settings import parse_gpu_placement, parse_lab_settings
from stellars_operator.gpu import decide
from stellars_operator.render.config import render_gpu_config, settings_document
from stellars_operator.spec import GpuSpec
from tests.unit.operator.conftest import load_nodes, make_hub

SPECS: list[dict[str, Any]] = [
    {},
    {
        "notebookImage": "lab:1",
        "imagePullPolicy": "Always",
        "storage": {"storageClass": "fast", "home": "2Gi", "shared": {"enabled": True}},
        "resources": {"user": {"requests": {"cpu": 1}, "limits": {"memory": "4Gi"}}},
        "extraEnv": {"TZ": "UTC"},
        "signup": {"enabled": False, "openSignup": True, "minimumPasswordLength": 12},
        "startTimeout": 600,
    },
]


@pytest.mark.parametrize("spec", SPECS)
def test_hub_reads_settings_json(spec: dict[str, Any]) -> None:
    hub = make_hub(spec)
    document = json.loads(json.dumps(settings_document(hub)))
    settings = parse_lab_settings(document, source="settings.json")
    assert settings.hub_name == "demo"
    assert settings.notebook_image == hub.spec.notebook_image
    assert settings.image_pull_policy == hub.spec.image_pull_policy
    assert settings.user_service_account == "demo-user"
    assert settings.storage.storage_class == hub.spec.storage.storage_class
    assert settings.storage.home == hub.spec.storage.home
    assert dict(settings.limits) == dict(hub.spec.user_resources.limits)
    assert dict(settings.extra_env) == dict(hub.spec.extra_env)
    assert settings.start_timeout == hub.spec.start_timeout
    assert settings.signup.enabled == hub.spec.signup.enabled
    assert settings.signup.open_signup == hub.spec.signup.open_signup
    assert settings.labels["app.kubernetes.io/component"] == "singleuser"
    expected_claim = "demo-shared" if hub.spec.storage.shared.enabled else None
    assert settings.shared_claim == expected_claim


@pytest.mark.parametrize("cluster", ["gfd-labelled", "tainted", "mig", "cpu-only", "nfd-only"])
@pytest.mark.parametrize("mode", ["auto", "on", "off"])
def test_hub_reads_gpu_json(cluster: str, mode: str) -> None:
    decision = decide(load_nodes(cluster), GpuSpec(mode=mode))  # type: ignore[arg-type]
    configmap = render_gpu_config(make_hub(), gpu=decision)
    placement = parse_gpu_placement(json.loads(configmap["data"]["gpu.json"]), source="gpu.json")
    assert placement.enabled == decision.enabled
    assert placement.reason == decision.reason
    if decision.enabled:
        assert placement.resource == decision.resource
        assert placement.count == decision.count
        assert [dict(t) for t in placement.tolerations] == [dict(t) for t in decision.tolerations]
