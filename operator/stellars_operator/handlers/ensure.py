"""One idempotent pass over a hub, run on create, update and resume, and by two timers.

Changes to the hub's children reach it through handlers/children.py. The timers are the safety
net: `resync` passes over every hub every STELLARS_RESYNC_SECONDS (default 300; a pass that
finds nothing to do costs no API request), and `retry` passes again every RETRY_SECONDS over
hubs that are Degraded (a missing Secret created, a refused apply allowed).
"""

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from stellars_operator.constants import GROUP, PLURAL, VERSION
from stellars_operator.handlers.indexes import known_nodes, latest_hub, watched_kube
from stellars_operator.handlers.locks import hub_lock, start_pass
from stellars_operator.handlers.written_status import forget, freshest, remember_status
from stellars_operator.reconcile import Outcome, patch_status, reconcile
from stellars_operator.settings import OperatorSettings

logger = logging.getLogger(__name__)

# The safety resync of every hub; drift and rollout progress arrive through the watches.
RESYNC_SECONDS = float(os.environ.get("STELLARS_RESYNC_SECONDS", "300"))
# How soon a Degraded hub is tried again.
RETRY_SECONDS = min(30.0, RESYNC_SECONDS)
# The operator's namespace (hubs are kept out of it) and the hubs' ClusterRole.
SETTINGS = OperatorSettings.from_environment(os.environ)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _post_events(
    body: Mapping[str, Any], outcome: Outcome, changed: dict[str, Any], *, quiet: bool
) -> None:
    """Events for what was done; the quiet passes post only when something changed."""
    hub = cast(kopf.Body, body)
    if outcome.problems:
        if not quiet or "phase" in changed:
            message = "; ".join(str(p) for p in outcome.problems)
            kopf.warn(hub, reason="InvalidSpec", message=message)
    elif outcome.apply_error:
        kopf.warn(hub, reason="ApplyFailed", message=outcome.apply_error)
    elif not quiet or outcome.pruned or "phase" in changed:
        pruned = f"; pruned {', '.join(outcome.pruned)}" if outcome.pruned else ""
        kopf.info(hub, reason="Applied", message=f"phase {outcome.status['phase']}{pruned}")


def ensure_hub(
    namespace: str, name: str, *, memo: Any, indexes: Mapping[str, Any], quiet: bool
) -> None:
    """One pass over hub namespace/name, under its lock, from what the watches last saw."""
    with hub_lock(memo, namespace, name):
        start_pass(memo, namespace, name)
        # The index, not the event's body: the Node watcher may have written the status since.
        current = latest_hub(indexes, namespace, name)
        if current is None or current["metadata"].get("deletionTimestamp"):
            forget(memo, (namespace, name))
            return
        # ... or this operator's own status write, while the index has not caught up with it.
        current = freshest(memo, (namespace, name), current)
        kube = watched_kube(memo.kube, indexes)
        outcome = reconcile(
            kube, current, nodes=known_nodes(indexes), now=_now(), settings=SETTINGS
        )
        changed = patch_status(kube, current, outcome.status)
        if changed:
            remember_status(memo, (namespace, name), current, outcome.status)
            if quiet:  # a pass nobody asked for wrote: say what had changed
                logger.info("%s/%s: status written: %s", namespace, name, ", ".join(changed))
    _post_events(current, outcome, changed, quiet=quiet)


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL)
def ensure(*, namespace: str | None, name: str, memo: Any, **kwargs: Any) -> None:
    ensure_hub(namespace or "", name, memo=memo, indexes=kwargs, quiet=False)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RESYNC_SECONDS, initial_delay=RESYNC_SECONDS)
def resync(*, namespace: str | None, name: str, memo: Any, **kwargs: Any) -> None:
    """The safety net: converges whatever a watch may have missed."""
    ensure_hub(namespace or "", name, memo=memo, indexes=kwargs, quiet=True)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RETRY_SECONDS, initial_delay=RETRY_SECONDS)
def retry(*, namespace: str | None, name: str, memo: Any, **kwargs: Any) -> None:
    """Degraded hubs only: what was missing may exist now."""
    hub = latest_hub(kwargs, namespace or "", name) or {}
    if (hub.get("status") or {}).get("phase") == "Degraded":
        ensure_hub(namespace or "", name, memo=memo, indexes=kwargs, quiet=True)
