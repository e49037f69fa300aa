"""spec_lab.py: /dev/shm, extra volumes, egress peers and extraConfig, the field named."""

from __future__ import annotations

from typing import Any

import pytest

from stellars_operator.render.config import lab_settings
from stellars_operator.spec import check_hub
from stellars_operator.spec_lab import default_shm_size
from tests.unit.operator.conftest import make_hub

DATASET = {"name": "datasets", "persistentVolumeClaim": {"claimName": "ds", "readOnly": True}}


def _fields(spec: dict[str, Any]) -> list[str]:
    return [problem.field for problem in check_hub(make_hub(spec))]


def _messages(spec: dict[str, Any]) -> list[str]:
    return [str(problem) for problem in check_hub(make_hub(spec))]


def test_shm_defaults_to_half_the_memory_limit() -> None:
    assert default_shm_size("2Gi") == "1024Mi"
    assert default_shm_size("3G") == "1430Mi"
    assert lab_settings(make_hub()).shm_size == "1024Mi"
    assert lab_settings(make_hub({"resources": {"user": {"shm": "256Mi"}}})).shm_size == "256Mi"


def test_shm_above_the_memory_limit_is_a_problem() -> None:
    assert _fields({"resources": {"user": {"shm": "3Gi"}}}) == ["spec.resources.user.shm"]
    assert _fields({"resources": {"user": {"shm": "lots"}}}) == ["spec.resources.user.shm"]
    assert _fields({"resources": {"user": {"shm": "2Gi"}}}) == []


def test_extra_volumes_reach_the_labs_settings_read_only_spelled_out() -> None:
    spec = {
        "user": {
            "extraVolumes": [DATASET, {"name": "scratch", "emptyDir": {"sizeLimit": 1}}],
            "extraVolumeMounts": [
                {"name": "datasets", "mountPath": "/mnt/datasets", "readOnly": True},
                {"name": "scratch", "mountPath": "/scratch"},
            ],
        }
    }
    assert _fields(spec) == []
    lab = lab_settings(make_hub(spec))
    assert lab.extra_volumes == (DATASET, {"name": "scratch", "emptyDir": {"sizeLimit": "1"}})
    assert [m["readOnly"] for m in lab.extra_volume_mounts] == [True, False]


@pytest.mark.parametrize(
    ("user", "field"),
    [
        ({"extraVolumes": [{"name": "home", "emptyDir": {}}]}, "spec.user.extraVolumes[0].name"),
        ({"extraVolumes": [DATASET, DATASET]}, "spec.user.extraVolumes[1].name"),
        ({"extraVolumes": [{"name": "x"}]}, "spec.user.extraVolumes[0]"),
        (
            {"extraVolumes": [{"name": "x", "hostPath": {"path": "/srv"}}]},
            "spec.user.extraVolumes[0].hostPath",
        ),
        (
            {"extraVolumeMounts": [{"name": "nothing", "mountPath": "/mnt/x"}]},
            "spec.user.extraVolumeMounts[0].name",
        ),
        (
            {
                "extraVolumes": [DATASET],
                "extraVolumeMounts": [{"name": "datasets", "mountPath": "/home/lab/workspace/d"}],
            },
            "spec.user.extraVolumeMounts[0].mountPath",
        ),
        (
            {
                "extraVolumes": [DATASET],
                "extraVolumeMounts": [{"name": "datasets", "mountPath": "/dev/shm"}],
            },
            "spec.user.extraVolumeMounts[0].mountPath",
        ),
        (
            {
                "extraVolumes": [DATASET],
                "extraVolumeMounts": [
                    {"name": "datasets", "mountPath": "/mnt/d", "subPath": "../etc"}
                ],
            },
            "spec.user.extraVolumeMounts[0].subPath",
        ),
    ],
)
def test_bad_extra_volumes_name_the_field(user: dict[str, Any], field: str) -> None:
    assert field in _fields({"user": user})


def test_host_path_needs_the_admins_opt_in() -> None:
    host = {"name": "x", "hostPath": {"path": "/srv/data"}}
    assert _fields({"user": {"extraVolumes": [host], "allowHostPath": True}}) == []


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"cidr": "203.0.113.0/33"}, "spec.network.egress.allow[0].cidr"),
        ({"ports": [{"port": 80}]}, "spec.network.egress.allow[0]"),
        ({"cidr": "10.0.0.0/8", "podSelector": {}}, "spec.network.egress.allow[0]"),
        (
            {"cidr": "10.0.0.0/8", "ports": [{"port": 90, "endPort": 80}]},
            "spec.network.egress.allow[0].ports[0].endPort",
        ),
    ],
)
def test_bad_egress_peers_name_the_field(rule: dict[str, Any], field: str) -> None:
    assert field in _fields({"network": {"egress": {"allow": [rule]}}})


def test_extra_config_that_does_not_compile_names_snippet_and_line() -> None:
    spec = {"hub": {"extraConfig": {"10-fine": "c.A.b = 1\n", "20-broken": "x = 1\nif True\n"}}}
    assert _messages(spec) == ["spec.hub.extraConfig.20-broken: line 2: expected ':'"]
