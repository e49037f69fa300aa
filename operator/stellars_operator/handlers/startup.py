"""Operator start-up: where kopf keeps its state, which events it posts, the API client."""

import asyncio
import contextlib
import logging
import os
from typing import Any

import kopf

from stellars_operator.constants import GROUP
from stellars_operator.fault_injection import WriteKillSwitch
from stellars_operator.kube import Kube, load_api_client
from stellars_operator.memory_trim import trim_periodically, trim_seconds
from stellars_operator.watched import CHILD_RESOURCES, CHILD_SELECTOR


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    # Annotations, not status: the CRD's status schema is ours alone.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.persistence.finalizer = f"{GROUP}/finalizer"
    settings.posting.level = logging.INFO
    # Watch only the operator's own children, filtered by the API server, not every ConfigMap
    # and Secret of the watched namespaces.
    for group, version, plural in CHILD_RESOURCES:
        settings.watching.label_selectors[group, version, plural] = CHILD_SELECTOR
    # Off unless the fault suite sets STELLARS_FAULT_KILL_AT (docs/reliability.md).
    kill_switch = WriteKillSwitch.from_environment(os.environ)
    if kill_switch.armed:
        logging.getLogger(__name__).warning(
            "fault injection armed: SIGKILL before write %d", kill_switch.kill_at
        )
    memo.kube = Kube(
        load_api_client(), before_write=kill_switch.before_write if kill_switch.armed else None
    )
    # kopf gives each object a shallow copy of this memo: a dict made here is the one dict every
    # handler shares, so the Node watcher and a hub's reconcile take the same lock.
    memo.hub_locks = {}
    memo.hubs_waiting = set()  # the same for the hubs whose next pass is already waiting
    memo.hubs_written = {}  # and for each hub's last status write (handlers/written_status.py)


@kopf.on.startup()
async def start_memory_trim(memo: kopf.Memo, **_: Any) -> None:
    seconds = trim_seconds(os.environ)
    memo.memory_trim = asyncio.create_task(trim_periodically(seconds)) if seconds else None


@kopf.on.cleanup()
async def stop_memory_trim(memo: kopf.Memo, **_: Any) -> None:
    task = memo.get("memory_trim")
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
