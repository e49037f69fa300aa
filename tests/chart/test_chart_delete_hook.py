"""The uninstall hook as rendered: four pre-delete objects; a Job that runs the operator's module.

What the module does (delete the hub, wait until it is gone) is tested with the operator's unit
tests (tests/unit/operator/test_delete_hub.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from tests.chart.chart_render import Rendered, template
from tests.chart.chart_values import VALUE_SETS

HOOK_KINDS = ["Job", "Role", "RoleBinding", "ServiceAccount"]


@pytest.fixture(scope="module")
def hub(helm: Path) -> Rendered:
    rendered = template(helm, VALUE_SETS["hub"])
    assert rendered.returncode == 0, rendered.stderr
    return rendered


def _hook_objects(rendered: Rendered) -> list[dict[str, Any]]:
    return [
        m for m in rendered.manifests if "helm.sh/hook" in (m["metadata"].get("annotations") or {})
    ]


def test_the_hook_objects_are_pre_delete_and_the_job_comes_last(hub: Rendered) -> None:
    hooks = _hook_objects(hub)
    assert sorted(m["kind"] for m in hooks) == HOOK_KINDS
    for obj in hooks:
        annotations = obj["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-delete"
        assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
        expected_weight = "0" if obj["kind"] == "Job" else "-10"
        assert annotations["helm.sh/hook-weight"] == expected_weight
        assert obj["metadata"]["name"] == "stellars-stellars-jupyterhub-hub-delete"


def test_the_job_runs_the_operator_module_it_is_tested_as(hub: Rendered) -> None:
    (container,) = hub.one("Job")["spec"]["template"]["spec"]["containers"]
    command = container["command"]
    assert command[:2] == ["python3", "-m"]
    assert importlib.util.find_spec(command[2]) is not None, command
    assert "args" not in container
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["HUB_NAME"] == "stellars"
    assert env["DELETE_TIMEOUT_SECONDS"] == "240"


def test_the_job_runs_as_locked_down_as_the_operator(hub: Rendered) -> None:
    operator_pod = hub.one("Deployment")["spec"]["template"]["spec"]
    job_pod = hub.one("Job")["spec"]["template"]["spec"]
    assert job_pod["securityContext"] == operator_pod["securityContext"]
    (job_container,) = job_pod["containers"]
    (operator_container,) = operator_pod["containers"]
    assert job_container["securityContext"] == operator_container["securityContext"]
    assert job_container["image"] == operator_container["image"]
    assert job_container["securityContext"]["readOnlyRootFilesystem"] is True
