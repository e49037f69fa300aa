"""Create, update, resume and a periodic timer all run the same idempotent reconcile."""

import os
from datetime import UTC, datetime
from typing import Any

import kopf

from stellars_operator.constants import GROUP, PLURAL, VERSION
from stellars_operator.handlers.nodes import known_nodes
from stellars_operator.reconcile import Outcome, reconcile

# How often every hub is reconciled again (drift, rollout progress, retries after failures).
RESYNC_SECONDS = float(os.environ.get("STELLARS_RESYNC_SECONDS", "30"))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _report(body: kopf.Body, patch: kopf.Patch, outcome: Outcome, *, quiet: bool) -> None:
    """Write only what changed in the status; post events, fewer when `quiet` (the timer)."""
    old = dict(body.get("status") or {})
    changed = {k: v for k, v in outcome.status.items() if old.get(k) != v}
    patch.status.update(changed)
    if outcome.problems:
        if not quiet or "phase" in changed:
            message = "; ".join(str(p) for p in outcome.problems)
            kopf.warn(body, reason="InvalidSpec", message=message)
    elif outcome.apply_error:
        kopf.warn(body, reason="ApplyFailed", message=outcome.apply_error)
    elif not quiet or outcome.pruned or "phase" in changed:
        pruned = f"; pruned {', '.join(outcome.pruned)}" if outcome.pruned else ""
        kopf.info(body, reason="Applied", message=f"phase {outcome.status['phase']}{pruned}")


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL)
def ensure(*, body: kopf.Body, patch: kopf.Patch, memo: Any, **kwargs: Any) -> None:
    outcome = reconcile(memo.kube, body, nodes=known_nodes(kwargs), now=_now())
    _report(body, patch, outcome, quiet=False)


@kopf.timer(GROUP, VERSION, PLURAL, interval=RESYNC_SECONDS, initial_delay=RESYNC_SECONDS)
def resync(*, body: kopf.Body, patch: kopf.Patch, memo: Any, **kwargs: Any) -> None:
    """Converges drift, follows the Deployments' progress, and retries after failures."""
    outcome = reconcile(memo.kube, body, nodes=known_nodes(kwargs), now=_now())
    _report(body, patch, outcome, quiet=True)
