"""One idempotent pass over a hub: check, render, apply, prune, observe. Returns the new status.

The create/update/resume handler, a change to one of the hub's children and the resync timers
all run this, so a hub converges whatever woke the operator up; nothing here raises for a bad
spec (it becomes `Degraded`). Given the watch-backed client (watched.py), a pass over a hub that
already holds its desired state makes no API request.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client.exceptions import ApiException

from stellars_operator import gpu as gpu_detection
from stellars_operator.apply import api_error, apply_child, apply_children, prune_children
from stellars_operator.credentials import GENERATORS, complete_secret_values
from stellars_operator.kube import KubeClient, resource_path
from stellars_operator.labels import ChildNames
from stellars_operator.placement import check_placement
from stellars_operator.preflight import (
    SecretsError,
    check_nothing_minted_over_data,
    check_references,
    read_secret_values,
)
from stellars_operator.render import render_children
from stellars_operator.render.config import render_gpu_config
from stellars_operator.render.network import node_addresses
from stellars_operator.settings import DEFAULTS, OperatorSettings
from stellars_operator.spec import Hub, SpecError, check_hub, parse_hub
from stellars_operator.status import (
    DeploymentState,
    Observation,
    gpu_status,
    gpu_status_patch,
    render_status,
    status_patch,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a pass did: the status to write and one line per thing worth an event."""

    status: dict[str, Any]
    problems: Sequence[SpecError] = ()
    apply_error: str | None = None
    pruned: Sequence[str] = field(default_factory=list)


def observe(
    kube: KubeClient, hub: Hub, decision: gpu_detection.GpuDecision, **extra: Any
) -> Observation:
    names = ChildNames(hub.name)
    states = {}
    for name in (names.hub, names.proxy):
        path = resource_path("apps/v1", "Deployment", namespace=hub.namespace, name=name)
        states[name] = DeploymentState.observe(name, kube.get(path))
    return Observation(hub=states[names.hub], proxy=states[names.proxy], gpu=decision, **extra)


def reconcile(
    kube: KubeClient,
    body: Mapping[str, Any],
    *,
    nodes: Sequence[Mapping[str, Any]],
    now: str,
    settings: OperatorSettings = DEFAULTS,
) -> Outcome:
    previous = body.get("status") or {}
    try:
        hub = parse_hub(body)
    except SpecError as error:
        # Still report: parse the identity alone, with default spec, to fill the status.
        hub = parse_hub({**body, "spec": {}})
        problems: list[SpecError] = [error]
    else:
        problems = [*check_placement(body, settings.namespace), *check_hub(hub)]
    decision = gpu_detection.decide(nodes, hub.spec.gpu)
    where = f"{hub.namespace}/{hub.name}"
    try:
        if not problems:
            problems = check_references(kube, hub)
        if problems:
            logger.warning("%s: not applied, spec problems: %s", where, problems)
            seen = observe(kube, hub, decision, problems=problems)
            return Outcome(render_status(hub, seen, previous=previous, now=now), problems=problems)
        try:
            existing = read_secret_values(kube, hub)
            check_nothing_minted_over_data(kube, hub, existing=existing, needed=GENERATORS)
        except SecretsError as error:
            logger.error("%s: %s", where, error)
            seen = observe(kube, hub, decision, apply_error=str(error))
            status = render_status(hub, seen, previous=previous, now=now)
            return Outcome(status, apply_error=str(error))
        values = complete_secret_values(existing)
        desired = render_children(
            hub,
            secret_values=values,
            gpu=decision,
            node_addresses=node_addresses(nodes),
            hub_cluster_role=settings.hub_cluster_role,
        )
        report = apply_children(kube, hub, desired)
        pruned = prune_children(kube, hub, desired)
        seen = observe(kube, hub, decision, apply_error=report.error())
    except ApiException as error:
        message = api_error(error)
        logger.error("%s: apply failed: %s", where, message)
        seen = Observation(
            hub=DeploymentState(name="", exists=False, available=False, message=""),
            proxy=DeploymentState(name="", exists=False, available=False, message=""),
            gpu=decision,
            apply_error=message,
        )
        status = render_status(hub, seen, previous=previous, now=now)
        return Outcome(status, apply_error=message)
    status = render_status(hub, seen, previous=previous, now=now)
    return Outcome(status, apply_error=seen.apply_error, pruned=pruned)


def hub_path(namespace: str, name: str) -> str:
    return resource_path("stellars.io/v1alpha1", "StellarsHub", namespace=namespace, name=name)


def patch_status(
    kube: KubeClient, body: Mapping[str, Any], status: Mapping[str, Any]
) -> dict[str, Any]:
    """Write the status fields that differ from `body`'s; returns them (empty: nothing written)."""
    changed = status_patch(body.get("status") or {}, status)
    if changed:
        meta = body["metadata"]
        kube.merge_patch(f"{hub_path(meta['namespace'], meta['name'])}/status", {"status": changed})
    return changed


def refresh_gpu(
    kube: KubeClient, body: Mapping[str, Any], *, nodes: Sequence[Mapping[str, Any]], now: str
) -> gpu_detection.GpuDecision | None:
    """Re-decide GPUs after a Node change; touches only `<hub>-gpu` and `status.gpu`.

    Returns the new decision when it changed, None when there was nothing to do.
    """
    try:
        hub = parse_hub(body)
    except SpecError:
        return None
    if hub.spec.gpu.mode == "off" or check_hub(hub):
        return None
    previous = body.get("status") or {}
    decision = gpu_detection.decide(nodes, hub.spec.gpu)
    if previous.get("gpu") == gpu_status(hub, decision):
        return None
    apply_child(kube, render_gpu_config(hub, gpu=decision))
    path = resource_path(
        "stellars.io/v1alpha1", "StellarsHub", namespace=hub.namespace, name=hub.name
    )
    patch = gpu_status_patch(hub, decision, previous=previous, now=now)
    kube.merge_patch(f"{path}/status", {"status": patch})
    logger.info("%s/%s: GPU decision now: %s", hub.namespace, hub.name, decision.reason)
    return decision
