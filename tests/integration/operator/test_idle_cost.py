"""An operator whose hubs hold their desired state costs the API server nothing: no write, and
no read beyond its open watches, through several safety resyncs (5 s in tests), and Node events
that change no hub's decision cost no write either."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from stellars_operator.kube import Kube
from tests.fixtures.operator_process import OperatorProcess, running_operator
from tests.fixtures.polling import wait_for
from tests.fixtures.stellarshub import create_hub, wait_for_status
from tests.integration.operator.api_counter import ApiCounter

pytestmark = pytest.mark.cluster

HUB_NAMES = ("alpha", "beta", "gamma")
# Pods that never start: nothing about the hubs changes once they are applied.
IDLE_SPEC = {"hubImage": "stellars/no-such-image:0.0.0", "imagePullPolicy": "Never"}
QUIET_S = 8  # no request at all for this long: the hubs have converged
WINDOW_S = 20  # four safety resyncs of every hub
# Requests an idle window may still see: watches reopened (kopf reopens a stream silent for 70 s),
# at most once each of the 14 streams (10 child kinds, hubs, nodes, CRDs, namespaces).
WATCH_RECONNECTS_ALLOWED = 14


@pytest.fixture
def counter(kube_config: str) -> Iterator[ApiCounter]:
    proxy = ApiCounter(kube_config)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def counted_operator(
    counter: ApiCounter, namespace: str, crd: dict[str, Any], kube: Kube, tmp_path: Path
) -> Iterator[OperatorProcess]:
    """The operator watching the test's namespace, every request it makes through `counter`."""
    with running_operator(
        kube,
        kube_config=str(counter.kubeconfig(tmp_path / "counted.kubeconfig")),
        namespace=namespace,
        tmp_path=tmp_path,
    ) as process:
        yield process


def _settled(counter: ApiCounter) -> bool:
    mark = counter.mark()
    time.sleep(QUIET_S)
    return counter.mark() == mark


def test_idle_hubs_cost_no_write_and_no_read_not_even_on_node_events(
    counted_operator: OperatorProcess,
    counter: ApiCounter,
    kube: Kube,
    namespace: str,
) -> None:
    for name in HUB_NAMES:
        create_hub(kube, namespace, name, IDLE_SPEC)
    for name in HUB_NAMES:
        wait_for_status(
            kube,
            namespace,
            name,
            lambda hub: (hub.get("status") or {}).get("phase") == "Progressing",
            what=f"{name} applied",
        )
    wait_for(lambda: _settled(counter), timeout=120, what="the operator to go quiet")

    mark = counter.mark()
    time.sleep(WINDOW_S)
    seen = counter.since(mark)

    writes = [str(r) for r in seen if r.is_write]
    reads = [str(r) for r in seen if not r.is_write and not r.is_watch]
    watches = [str(r) for r in seen if r.is_watch]
    print(f"idle window: {len(writes)} writes, {len(reads)} reads, {len(watches)} watches")
    assert writes == []
    assert reads == []
    assert len(watches) <= WATCH_RECONNECTS_ALLOWED, watches

    # Node events that change no hub's decision: a Node without GPUs or addresses comes, is
    # relabelled and goes (gone again before the node controller would mark it unreachable).
    mark = counter.mark()
    with plain_node(kube, namespace) as node:
        for value in ("a", "b"):
            kube.merge_patch(node, {"metadata": {"labels": {"example.org/rack": value}}})
            time.sleep(2)
    time.sleep(QUIET_S)
    writes = [str(r) for r in counter.since(mark) if r.is_write]
    print(f"node events: {len(writes)} writes")
    assert writes == [], writes
    assert "node_changed" in counted_operator.log_text()
    assert "Traceback" not in counted_operator.log_text()


@contextmanager
def plain_node(kube: Kube, namespace: str) -> Iterator[str]:
    """A Node without GPUs or addresses, for as long as the block runs; its path."""
    name = f"stellars-idle-{namespace[-6:]}"
    kube.request(
        "POST",
        "/api/v1/nodes",
        body={"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}},
    )
    try:
        yield f"/api/v1/nodes/{name}"
    finally:
        kube.delete(f"/api/v1/nodes/{name}")
