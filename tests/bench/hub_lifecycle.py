"""The operator's own figures: hub apply -> Ready against applying its rendered children by hand,
a spec change reaching the children, and a hand edit or deletion repaired."""

from __future__ import annotations

import time
from typing import Any, Final

from stellars_operator.kube import Kube, resource_path
from stellars_operator.labels import ChildNames
from tests.bench.k8s import (
    bench_spec,
    deployments_available,
    hub_body,
    hub_path,
    is_ready,
    kubectl,
    kubectl_apply,
    rendered_children,
    settings_value,
    wait_until,
)
from tests.bench.stats import paired_ratio, summary

READY_TIMEOUT_S: Final = 300
# A spec change or a repair is sub-second: look often (two small GETs a look).
FAST_POLL_S: Final = 0.02
CHANGE_TIMEOUT_S: Final = 60


def _timed_operator_apply(
    kube: Kube, kubeconfig: str, namespace: str, name: str
) -> tuple[float, float]:
    """kubectl apply of the StellarsHub until its status says Ready; also when its Deployments
    were first seen available (the gap is the operator's noticing time)."""
    started = time.monotonic()
    kubectl_apply(kubeconfig, [hub_body(namespace, name, bench_spec())])
    available_at: float | None = None
    deadline = started + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if available_at is None and deployments_available(kube, namespace, name):
            available_at = time.monotonic()
        if is_ready(kube.get(hub_path(namespace, name))):
            ready_at = time.monotonic()
            return ready_at - started, (available_at or ready_at) - started
        time.sleep(0.1)
    raise TimeoutError(f"{namespace}/{name} not Ready within {READY_TIMEOUT_S}s")


def _timed_direct_apply(kube: Kube, kubeconfig: str, namespace: str, name: str) -> float:
    started = time.monotonic()
    kubectl_apply(kubeconfig, rendered_children(namespace, name, bench_spec()))
    wait_until(
        lambda: deployments_available(kube, namespace, name),
        timeout=READY_TIMEOUT_S,
        what=f"{namespace}/{name} Deployments available",
    )
    return time.monotonic() - started


def _delete_direct(kubeconfig: str, namespace: str, name: str) -> None:
    kubectl(
        kubeconfig,
        "-n",
        namespace,
        "delete",
        "all,cm,secret,sa,role,rolebinding,pvc,networkpolicy",
        "-l",
        f"app.kubernetes.io/instance={name}",
        "--wait=false",
    )


def measure_apply_to_ready(
    kube: Kube, *, kubeconfig: str, watched: str, unwatched: str, repetitions: int, keep: str
) -> dict[str, Any]:
    """Pairs of (operator, by hand), alternating which goes first; every hub but the last
    operator one (named `keep`, left for the next figures) is deleted after its pair."""
    operator_s: list[float] = []
    noticed_s: list[float] = []
    direct_s: list[float] = []
    for i in range(repetitions):
        last = i == repetitions - 1
        name = keep if last else f"apply{i}"
        order = ("operator", "direct") if i % 2 == 0 else ("direct", "operator")
        for side in order:
            if side == "operator":
                ready, available = _timed_operator_apply(kube, kubeconfig, watched, name)
                operator_s.append(ready)
                noticed_s.append(ready - available)
            else:
                direct_s.append(_timed_direct_apply(kube, kubeconfig, unwatched, f"direct{i}"))
        _delete_direct(kubeconfig, unwatched, f"direct{i}")
        if not last:
            kube.delete(hub_path(watched, name))
    return {
        **paired_ratio(operator_s, direct_s),
        "ready_after_deployments_available": summary(noticed_s),
    }


def measure_spec_change(kube: Kube, *, namespace: str, hub: str, patches: int) -> dict[str, Any]:
    """Patch spec.startTimeout; time until `<hub>-config` carries it and status.observedGeneration
    reaches the patched generation."""
    config = resource_path("v1", "ConfigMap", namespace=namespace, name=ChildNames(hub).config)
    samples = []
    for i in range(patches):
        value = 300 + i
        started = time.monotonic()
        patched = kube.merge_patch(hub_path(namespace, hub), {"spec": {"startTimeout": value}})
        generation = int(patched["metadata"]["generation"])

        def caught_up(value: int = value, generation: int = generation) -> bool:
            if settings_value(kube.get(config), "startTimeout") != value:
                return False
            status = (kube.get(hub_path(namespace, hub)) or {}).get("status") or {}
            return int(status.get("observedGeneration") or 0) >= generation

        _poll(caught_up, what=f"startTimeout={value} in {config}")
        samples.append(time.monotonic() - started)
    return summary(samples)


def measure_drift_repair(kube: Kube, *, namespace: str, hub: str, edits: int) -> dict[str, Any]:
    """Alternately delete `<hub>-config` and overwrite its data by hand; time until the
    operator has put it back as rendered."""
    path = resource_path("v1", "ConfigMap", namespace=namespace, name=ChildNames(hub).config)
    deleted, edited = [], []
    for i in range(edits):
        original = kube.get(path) or {}
        if i % 2 == 0:
            deleted.append(_timed_repair(kube, path, original, delete=True))
        else:
            edited.append(_timed_repair(kube, path, original, delete=False))
    return {
        **summary(deleted + edited),
        "deleted": summary(deleted) if deleted else None,
        "edited": summary(edited) if edited else None,
    }


def _timed_repair(kube: Kube, path: str, original: dict[str, Any], *, delete: bool) -> float:
    """Delete the object (or overwrite its data) and time until it is back as it was."""
    uid, want = original["metadata"]["uid"], original.get("data")
    started = time.monotonic()
    if delete:
        kube.delete(path)
    else:
        kube.merge_patch(path, {"data": dict.fromkeys(want or {}, "{}")})

    def restored() -> bool:
        now = kube.get(path) or {}
        if delete:
            return now.get("metadata", {}).get("uid") not in (None, uid)
        return now.get("data") == want

    _poll(restored, what=f"{path} {'recreated' if delete else 'repaired'}")
    return time.monotonic() - started


def _poll(check: Any, *, what: str) -> None:
    deadline = time.monotonic() + CHANGE_TIMEOUT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(FAST_POLL_S)
    raise TimeoutError(f"timed out after {CHANGE_TIMEOUT_S}s waiting for {what}")
