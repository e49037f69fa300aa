"""Create, update, resume and a periodic timer all run the same idempotent reconcile."""

import os
from datetime import UTC, datetime
from typing import Any

import kopf

from stellars_operator.constants import GROUP, PLURAL, VERSION
from stellars_operator.handlers.locks import hub_lock
from stellars_operator.handlers.nodes import known_nodes
from stellars_operator.reconcile import Outcome, hub_path, patch_status, reconcile

# How often every hub is reconciled again (drift, rollout progress, retries after failures).
RESYNC_SECONDS = float(os.environ.get("STELLARS_RESYNC_SECONDS", "30"))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _post_events(
    body: kopf.Body, outcome: Outcome, changed: dict[str, Any], *, quiet: bool
) -> None:
    """Events for what was done; the timer (`quiet`) posts only when something changed."""
    if outcome.problems:
        if not quiet or "phase" in changed:
            message = "; ".join(str(p) for p in outcome.problems)
            kopf.warn(body, reason="InvalidSpec", message=message)
    elif outcome.apply_error:
        kopf.warn(body, reason="ApplyFailed", message=outcome.apply_error)
    elif not quiet or outcome.pruned or "phase" in changed:
        pruned = f"; pruned {', '.join(outcome.pruned)}" if outcome.pruned else ""
        kopf.info(body, reason="Applied", message=f"phase {outcome.status['phase']}{pruned}")


def _ensure(body: kopf.Body, memo: Any, kwargs: dict[str, Any], *, quiet: bool) -> None:
    meta = body["metadata"]
    with hub_lock(memo, meta["namespace"], meta["name"]):
        # Re-read under the lock: the Node watcher may have written the status since the event.
        current = memo.kube.get(hub_path(meta["namespace"], meta["name"]))
        if current is None or current["metadata"].get("deletionTimestamp"):
            return
        outcome = reconcile(memo.kube, current, nodes=known_nodes(kwargs), now=_now())
        changed = patch_status(memo.kube, current, outcome.status)
    _post_events(body, outcome, changed, quiet=quiet)


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL)
def ensure(*, body: kopf.Body, memo: Any, **kwargs: Any) -> None:
    _ensure(body, memo, kwargs, quiet=False)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RESYNC_SECONDS, initial_delay=RESYNC_SECONDS)
def resync(*, body: kopf.Body, memo: Any, **kwargs: Any) -> None:
    """Converges drift, follows the Deployments' progress, and retries after failures."""
    _ensure(body, memo, kwargs, quiet=True)
