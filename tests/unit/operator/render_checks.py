"""Assertions every rendered child must pass, shared by the render tests."""

from __future__ import annotations

from typing import Any

from stellars_operator.spec import Hub

STANDARD_KEYS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/part-of",
}


def assert_child_of(hub: Hub, manifest: dict[str, Any]) -> None:
    meta = manifest["metadata"]
    assert meta["namespace"] == hub.namespace
    assert meta["name"].startswith(hub.name)
    labels = meta["labels"]
    assert set(labels) == STANDARD_KEYS
    assert labels["app.kubernetes.io/instance"] == hub.name
    assert labels["app.kubernetes.io/managed-by"] == "stellars-operator"
    assert labels["app.kubernetes.io/component"] in {"hub", "proxy", "singleuser"}


def assert_owned_by(hub: Hub, manifest: dict[str, Any]) -> None:
    assert manifest["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "stellars.io/v1alpha1",
            "kind": "StellarsHub",
            "name": hub.name,
            "uid": hub.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def assert_restricted(pod_spec: dict[str, Any]) -> None:
    """PodSecurity "restricted" (v1.33) for a pod spec."""
    pod = pod_spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod_spec.get(field)
    for volume in pod_spec.get("volumes", []):
        assert "hostPath" not in volume
    for container in pod_spec["containers"] + pod_spec.get("initContainers", []):
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False
        assert ctx["capabilities"] == {"drop": ["ALL"]}
        assert not ctx.get("privileged")
        assert ctx.get("runAsUser", 1) != 0
        for port in container.get("ports", []):
            assert "hostPort" not in port
