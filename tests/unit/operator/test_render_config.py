"""render/config.py: settings.json per docs/hub-settings.md and gpu.json from the decision."""

from __future__ import annotations

import json

from stellars_operator.gpu import decide
from stellars_operator.render.config import render_config, render_gpu_config, settings_document
from stellars_operator.spec import GpuSpec
from tests.unit.operator.conftest import load_nodes, make_hub


def test_settings_document_has_the_contracts_keys() -> None:
    document = settings_document(make_hub())
    assert document == {
        "hubName": "demo",
        "notebookImage": "stellars/stellars-jupyterlab-ds:latest",
        "imagePullPolicy": "IfNotPresent",
        "userServiceAccount": "demo-user",
        "storage": {"storageClass": None, "home": "1Gi", "workspace": "5Gi", "cache": "1Gi"},
        "sharedClaim": None,
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "2", "memory": "2Gi"},
        },
        "extraEnv": {},
        "startTimeout": 300,
        "signup": {"enabled": True, "openSignup": False, "minimumPasswordLength": 8},
        "culling": {"enabled": False, "timeout": 86400, "every": 600, "maxAge": 0, "users": False},
        "labels": {
            "app.kubernetes.io/name": "stellars-jupyterhub",
            "app.kubernetes.io/instance": "demo",
            "app.kubernetes.io/component": "singleuser",
            "app.kubernetes.io/managed-by": "stellars-operator",
            "app.kubernetes.io/part-of": "stellars-jupyterhub-ds",
        },
        # Half of limits.memory when spec.resources.user.shm is unset.
        "shmSize": "1024Mi",
        "extraVolumes": [],
        "extraVolumeMounts": [],
        "owner": {
            "apiVersion": "stellars.io/v1alpha1",
            "kind": "StellarsHub",
            "name": "demo",
            "uid": "uid-demo",
        },
    }


def test_shared_claim_name() -> None:
    shared = {"storage": {"shared": {"enabled": True}}}
    assert settings_document(make_hub(shared))["sharedClaim"] == "demo-shared"
    existing = {"storage": {"shared": {"enabled": True, "existingClaim": "team-data"}}}
    assert settings_document(make_hub(existing))["sharedClaim"] == "team-data"


def test_configmaps() -> None:
    hub = make_hub({"extraEnv": {"B": "2", "A": "1"}})
    decision = decide(load_nodes("gfd-labelled"), GpuSpec())
    config, gpu = render_config(hub, gpu=decision)
    assert config["metadata"]["name"] == "demo-config"
    settings = json.loads(config["data"]["settings.json"])
    assert list(settings["extraEnv"]) == ["A", "B"]
    assert gpu == render_gpu_config(hub, gpu=decision)
    assert gpu["metadata"]["name"] == "demo-gpu"
    document = json.loads(gpu["data"]["gpu.json"])
    assert [p["name"] for p in document.pop("profiles")] == ["cpu", "nvidia-h200-x1"]
    assert document == {
        "enabled": True,
        "resource": "nvidia.com/gpu",
        "count": 1,
        "nodeSelector": {},
        "tolerations": [],
        "reason": "1 nvidia.com/gpu allocatable on node(s) gpu-1",
    }


def test_gpu_json_when_disabled() -> None:
    decision = decide(load_nodes("cpu-only"), GpuSpec())
    gpu = json.loads(render_gpu_config(make_hub(), gpu=decision)["data"]["gpu.json"])
    assert gpu["enabled"] is False
    assert gpu["reason"] == "no node shows a GPU"
