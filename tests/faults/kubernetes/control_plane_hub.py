"""A hub that lives in the control plane only, for the operator's fault cases (4, 5, 7).

The operator's faults are about what it writes, not about running pods: a ResourceQuota lets no
pod of the hub start (its Deployments stay at zero pods, nothing reaches the kubelet), so dozens
of operator restarts cost seconds. Its "users" are what KubeSpawner would leave: one claim each
(which no fault may touch) and a server pod each that never gets a node (pending, so a hub's
deletion can stop them at once).
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

from stellars_operator.credentials import complete_secret_values
from stellars_operator.gpu import decide
from stellars_operator.kube import Kube, resource_path
from stellars_operator.labels import (
    COMPONENT_KEY,
    INSTANCE_KEY,
    MANAGED_BY,
    MANAGED_BY_KEY,
    children_selector,
)
from stellars_operator.render import render_children
from stellars_operator.spec import parse_hub
from stellars_operator.watched import CHILD_KINDS
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.stellarshub import get_hub, unowned_children

SIGKILLED: Final = -signal.SIGKILL
KILL_AT: Final = "STELLARS_FAULT_KILL_AT"
LAST_HANDLED: Final = "stellars.io/last-handled-configuration"
# An image no node has, never pulled: should a hub pod slip past the quota, it does not run.
CONTROL_PLANE_SPEC: Final[dict[str, Any]] = {
    "hubImage": "stellars/fault-no-such-image:0",
    "imagePullPolicy": "Never",
    "gpu": {"mode": "off"},
}
USERS: Final = ("ann", "ben")

Identity = tuple[str, str, str]


def user_labels(hub: str) -> dict[str, str]:
    return {INSTANCE_KEY: hub, MANAGED_BY_KEY: MANAGED_BY, COMPONENT_KEY: "singleuser"}


def _post(kube: Kube, api_version: str, kind: str, namespace: str, body: dict[str, Any]) -> Any:
    body = {"apiVersion": api_version, "kind": kind, **body}
    return kube.request("POST", resource_path(api_version, kind, namespace=namespace), body=body)


def add_users(kube: Kube, namespace: str, hub: str) -> dict[str, dict[str, Any]]:
    """A claim and a pending server pod per user; returns the claims as created."""
    claims = {}
    for user in USERS:
        meta = {"name": f"claim-{hub}-{user}", "labels": user_labels(hub)}
        claims[user] = _post(
            kube,
            "v1",
            "PersistentVolumeClaim",
            namespace,
            {
                "metadata": meta,
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "10Mi"}},
                },
            },
        )
        pod_meta = {"name": f"jupyter-{hub}-{user}", "labels": user_labels(hub)}
        _post(
            kube,
            "v1",
            "Pod",
            namespace,
            {
                "metadata": pod_meta,
                "spec": {
                    "nodeSelector": {"stellars.io/fault-no-such-node": "true"},
                    "containers": [{"name": "lab", "image": "stellars/fault-no-such-image:0"}],
                },
            },
        )
    return claims


def forbid_more_pods(kube: Kube, namespace: str) -> None:
    """No pod beyond those that exist now (the users' pending ones)."""
    existing = len(kube.list(resource_path("v1", "Pod", namespace=namespace)))
    body = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "no-more-pods"},
        "spec": {"hard": {"pods": str(existing)}},
    }
    kube.request("POST", f"/api/v1/namespaces/{namespace}/resourcequotas", body=body)


def hub_children(kube: Kube, namespace: str, hub: str) -> list[dict[str, Any]]:
    """Every object the operator manages for the hub (the users' claims excluded)."""
    found = []
    for api_version, kind in CHILD_KINDS:
        path = resource_path(api_version, kind, namespace=namespace)
        for obj in kube.list(path, label_selector=children_selector(hub)):
            labels = obj["metadata"].get("labels") or {}
            if kind == "PersistentVolumeClaim" and labels.get(COMPONENT_KEY) == "singleuser":
                continue
            found.append({**obj, "apiVersion": api_version, "kind": kind})
    return found


def identity(obj: dict[str, Any]) -> Identity:
    return (obj["apiVersion"], obj["kind"], obj["metadata"]["name"])


def desired_identities(namespace: str, hub: str, spec: dict[str, Any], role: str) -> set[Identity]:
    return {identity(m) for m in unowned_children(namespace, hub, spec, hub_cluster_role=role)}


def kept_identities(namespace: str, hub: str, spec: dict[str, Any], role: str) -> set[Identity]:
    """The children rendered without an owner: the hub's data, kept when the hub is deleted
    (unless the spec lets user data go with it)."""
    body = {
        "apiVersion": "stellars.io/v1alpha1",
        "kind": "StellarsHub",
        "metadata": {"name": hub, "namespace": namespace, "uid": "owner"},
        "spec": spec,
    }
    parsed = parse_hub(body)
    children = render_children(
        parsed,
        secret_values=complete_secret_values({}),
        gpu=decide([], parsed.spec.gpu),
        hub_cluster_role=role,
    )
    return {identity(m) for m in children if not m["metadata"].get("ownerReferences")}


def owners(obj: dict[str, Any]) -> list[str]:
    return [ref["uid"] for ref in obj["metadata"].get("ownerReferences") or []]


@dataclass
class Convergence:
    """Whether the hub holds its spec: handled by kopf, status current, exactly its children."""

    kube: Kube
    namespace: str
    hub: str
    role: str
    last_problem: str = ""

    def __call__(self) -> bool:
        self.last_problem = self.problem()
        return not self.last_problem

    def problem(self) -> str:
        body = get_hub(self.kube, self.namespace, self.hub)
        if body is None:
            return "hub gone"
        meta, spec = body["metadata"], body.get("spec") or {}
        handled = json.loads((meta.get("annotations") or {}).get(LAST_HANDLED) or "{}")
        if handled.get("spec") != spec:
            return "kopf has not handled the current spec"
        if (body.get("status") or {}).get("observedGeneration") != meta["generation"]:
            return "status not of the current generation"
        children = hub_children(self.kube, self.namespace, self.hub)
        seen = sorted(identity(c) for c in children)
        wanted = desired_identities(self.namespace, self.hub, spec, self.role)
        if sorted(wanted) != seen:
            return f"children {seen} are not {sorted(wanted)}"
        kept = kept_identities(self.namespace, self.hub, spec, self.role)
        stray = [
            identity(c)
            for c in children
            if owners(c) != ([] if identity(c) in kept else [meta["uid"]])
        ]
        return f"owned otherwise than rendered: {stray}" if stray else ""


@dataclass
class KillLog:
    """The kill points one operator process after another died at (from its log lines)."""

    points: list[tuple[str, str]] = field(default_factory=list)  # (phase, "METHOD path")

    def count(self, phase: str) -> int:
        return sum(1 for seen, _ in self.points if seen == phase)


def killed_before(log_text: str, already: int) -> list[str]:
    marker = "fault injection: SIGKILL before write "
    lines = [line.split(marker, 1)[1] for line in log_text.splitlines() if marker in line]
    return lines[already:]


def start_allowing_kill(operator: OperatorProcess) -> None:
    """Start the operator; a process SIGKILLed by its own kill switch before it answered its
    liveness URL is not an error."""
    try:
        operator.start()
    except RuntimeError:
        if operator.process is None or operator.process.returncode != SIGKILLED:
            raise


def drive_through_kills(
    operator: OperatorProcess,
    *,
    phase: str,
    converged: Callable[[], bool],
    kills: KillLog,
    check_invariants: Callable[[], None],
    max_restarts: int = 40,
    timeout_per_run: float = 60,
) -> None:
    """Run the operator armed to die before its first write, then, restart after restart,
    before its second (so each run makes exactly one write more), until a run converges.
    `check_invariants` is asserted after every kill."""
    kill_at = 1
    for _ in range(max_restarts):
        operator.extra_env[KILL_AT] = str(kill_at)
        start_allowing_kill(operator)
        assert operator.process is not None
        deadline = time.monotonic() + timeout_per_run
        while operator.process.poll() is None and not converged():
            if time.monotonic() > deadline:
                pytest.fail(f"{phase}: neither killed nor converged: {converged}")
            time.sleep(0.2)
        if operator.process.poll() is None:
            operator.stop()
        code = operator.process.returncode
        if code != SIGKILLED:
            assert converged(), f"{phase}: operator exited {code}:\n{operator.log_tail()}"
            return
        done = [p for _, p in kills.points]
        for point in killed_before(operator.log_text(), len(done)):
            kills.points.append((phase, point))
        check_invariants()
        kill_at = 2
    pytest.fail(f"{phase}: not converged after {max_restarts} restarts")
