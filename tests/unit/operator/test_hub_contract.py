"""The operator's settings.json and gpu.json are read by the hub as meant (docs/hub-settings.md).

Renders with the operator, parses with the hub's own reader: a drift on either side fails here.
Both sides use `stellars_hub.contract`; the round trips below cover every field of it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from stellars_hub.contract import (
    CullingPolicy,
    GpuPlacement,
    LabSettings,
    SignupPolicy,
    UserStorage,
)
from stellars_operator.gpu import decide
from stellars_operator.render.config import lab_settings, render_gpu_config, settings_document
from stellars_operator.spec import GpuSpec
from tests.unit.operator.conftest import load_nodes, make_hub

HUB_SETTINGS_DOC = Path(__file__).resolve().parents[3] / "docs" / "hub-settings.md"

SPECS: list[dict[str, Any]] = [
    {},
    {
        "notebookImage": "lab:1",
        "imagePullPolicy": "Always",
        "storage": {"storageClass": "fast", "home": "2Gi", "shared": {"enabled": True}},
        "resources": {"user": {"requests": {"cpu": 1}, "limits": {"memory": "4Gi"}}},
        "extraEnv": {"TZ": "UTC"},
        "signup": {"enabled": False, "openSignup": True, "minimumPasswordLength": 12},
        "culling": {"enabled": True, "timeout": 120, "every": 20, "maxAge": 7200, "users": True},
        "startTimeout": 600,
    },
]

# Every field set, none to its default (checked below): a new field must be added here.
EVERY_FIELD = LabSettings(
    hub_name="team",
    notebook_image="lab:2",
    user_service_account="team-user",
    image_pull_policy="Never",
    storage=UserStorage(storage_class="fast", home="3Gi", workspace="30Gi", cache="2Gi"),
    shared_claim="team-data",
    requests={"cpu": "1", "memory": "1Gi"},
    limits={"cpu": "4", "memory": "8Gi"},
    extra_env={"TZ": "UTC", "B": "2"},
    start_timeout=900,
    labels={"app.kubernetes.io/instance": "team"},
    signup=SignupPolicy(enabled=False, open_signup=True, minimum_password_length=14),
    culling=CullingPolicy(enabled=True, timeout=90, every=15, max_age=3600, users=True),
    shm_size="1Gi",
    extra_volumes=({"name": "data", "persistentVolumeClaim": {"claimName": "d"}},),
    extra_volume_mounts=({"name": "data", "mountPath": "/mnt/data", "readOnly": True},),
    owner={
        "apiVersion": "stellars.io/v1alpha1",
        "kind": "StellarsHub",
        "name": "team",
        "uid": "u1",
    },
)
EVERY_GPU_FIELD = GpuPlacement(
    enabled=True,
    reason="trusted",
    resource="amd.com/gpu",
    count=2,
    node_selector={"gpu": "yes"},
    tolerations=({"key": "gpu", "operator": "Exists"},),
    trusted=True,
)


def _through_a_file(document: dict[str, Any]) -> Any:
    return json.loads(json.dumps(document))


@pytest.mark.parametrize("spec", SPECS)
def test_hub_reads_settings_json(spec: dict[str, Any]) -> None:
    hub = make_hub(spec)
    document = json.loads(json.dumps(settings_document(hub)))
    settings = LabSettings.from_json(document, source="settings.json")
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
    assert settings.culling == hub.spec.culling
    assert settings.labels["app.kubernetes.io/component"] == "singleuser"
    expected_claim = "demo-shared" if hub.spec.storage.shared.enabled else None
    assert settings.shared_claim == expected_claim


@pytest.mark.parametrize("cluster", ["gfd-labelled", "tainted", "mig", "cpu-only", "nfd-only"])
@pytest.mark.parametrize("mode", ["auto", "on", "off"])
def test_hub_reads_gpu_json(cluster: str, mode: str) -> None:
    decision = decide(load_nodes(cluster), GpuSpec(mode=mode))  # type: ignore[arg-type]
    configmap = render_gpu_config(make_hub(), gpu=decision)
    placement = GpuPlacement.from_json(json.loads(configmap["data"]["gpu.json"]), source="gpu.json")
    assert placement.enabled == decision.enabled
    assert placement.reason == decision.reason
    if decision.enabled:
        assert placement.resource == decision.resource
        assert placement.count == decision.count
        assert [dict(t) for t in placement.tolerations] == [dict(t) for t in decision.tolerations]
    # the hub reads back exactly the placement the operator decided
    assert placement == decision.placement


def _defaults_left(value: Any, default: Any, path: str = "") -> list[str]:
    """Dotted names of the fields of `value` that still equal their default."""
    left = []
    for field in dataclasses.fields(value):
        mine, theirs = getattr(value, field.name), getattr(default, field.name)
        if dataclasses.is_dataclass(mine):
            left += _defaults_left(mine, theirs, f"{path}{field.name}.")
        elif mine == theirs:
            left.append(f"{path}{field.name}")
    return left


def test_the_round_trip_samples_set_every_field() -> None:
    required = {"hub_name": "", "notebook_image": "", "user_service_account": ""}
    assert _defaults_left(EVERY_FIELD, LabSettings(**required)) == []
    assert _defaults_left(EVERY_GPU_FIELD, GpuPlacement(enabled=False, reason="")) == []


def test_settings_json_round_trips_every_field() -> None:
    document = _through_a_file(EVERY_FIELD.to_json())
    assert LabSettings.from_json(document, source="settings.json") == EVERY_FIELD


def test_gpu_json_round_trips_every_field() -> None:
    document = _through_a_file(EVERY_GPU_FIELD.to_json())
    assert GpuPlacement.from_json(document, source="gpu.json") == EVERY_GPU_FIELD
    off = GpuPlacement.disabled("no node shows a GPU")
    assert GpuPlacement.from_json(_through_a_file(off.to_json()), source="gpu.json") == off


@pytest.mark.parametrize("spec", SPECS)
def test_what_the_operator_writes_the_hub_reads_back_unchanged(spec: dict[str, Any]) -> None:
    written = lab_settings(make_hub(spec))
    document = _through_a_file(written.to_json())
    assert LabSettings.from_json(document, source="settings.json") == written


def _documented_examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", HUB_SETTINGS_DOC.read_text(), re.S)
    return [json.loads(block) for block in blocks]


def test_the_documented_examples_are_the_contracts_shape() -> None:
    settings, gpu = _documented_examples()
    lab = LabSettings.from_json(settings, source="docs")
    assert lab.to_json() == settings
    placement = GpuPlacement.from_json(gpu, source="docs")
    assert placement.to_json() == gpu
    assert set(settings) == set(EVERY_FIELD.to_json())
    # `trusted` is written only when true; the operator never sets it
    assert set(gpu) == set(EVERY_GPU_FIELD.to_json()) - {"trusted"}
