"""Many StellarsHubs under one operator: time until all are reconciled, then the operator left
alone: its memory, its CPU, and the API requests it makes, counted by the API server.

The case runs on a control plane of its own (control_plane.py: etcd, an API server with an
audit log, a controller manager; no nodes), so nothing else's traffic or load is in its figures.
The operator gets an identity of its own (a ServiceAccount token), and the audit log says, for
every request the API server served, who made it: the operator's count is the API server's.
"""

from __future__ import annotations

import base64
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import yaml

from stellars_operator.kube import Kube, resource_path
from tests.bench.control_plane import AuditedRequest, ControlPlane, private_control_plane
from tests.bench.k8s import bench_spec, hub_body
from tests.bench.shipped_operator import ShippedOperator
from tests.fixtures.chart_objects import render_chart_object
from tests.fixtures.docker import OPERATOR_IMAGE
from tests.fixtures.kubectl import ClusterCli
from tests.fixtures.stellarshub import HUBS, apply_crd

SA: Final = "bench-operator"
NAMESPACE: Final = "scale"
RECONCILE_TIMEOUT_S: Final = 900
# "Idle" starts once no Deployment or ReplicaSet of the namespace has changed for QUIET_S (or
# the idle window, when shorter): the Deployments' rollouts (pods that are never scheduled)
# rightly wake a pass each. At most SETTLE_MAX_S of waiting.
QUIET_S: Final = 30
SETTLE_MAX_S: Final = 400
# How many of the operator's idle requests the figures list by name.
LISTED_REQUESTS: Final = 30
# The operator's default safety resync (STELLARS_RESYNC_SECONDS): the idle window is stretched
# until it holds the first resync of every hub, so that "idle" includes the safety net.
DEFAULT_RESYNC_S: Final = 300
RESYNC_MARGIN_S: Final = 15


def operator_user(namespace: str) -> str:
    return f"system:serviceaccount:{namespace}:{SA}"


@contextmanager
def operator_identity(plane: ControlPlane, kube: Kube, *, namespace: str) -> Iterator[Path]:
    """A kubeconfig for a ServiceAccount of its own (cluster-admin, as the chart's operator is
    all but), its CA inline so that it works in the operator's container as it is."""
    kube.request(
        "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts", body={"metadata": {"name": SA}}
    )
    kube.request(
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        body={
            "metadata": {"name": f"{SA}-{namespace}"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": SA, "namespace": namespace}],
        },
    )
    token = kube.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/serviceaccounts/{SA}/token",
        body={"spec": {"expirationSeconds": 7200}},
    )["status"]["token"]
    admin = yaml.safe_load(plane.kubeconfig.read_text())
    clusters = admin["clusters"]
    for entry in clusters:
        ca_file = entry["cluster"].pop("certificate-authority", None)
        if ca_file:
            ca = base64.b64encode(Path(ca_file).read_bytes()).decode()
            entry["cluster"]["certificate-authority-data"] = ca
    path = plane.workdir / "operator.kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": clusters,
                "users": [{"name": SA, "user": {"token": token}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": SA}}],
                "current-context": "c",
            }
        )
    )
    path.chmod(0o644)  # the operator's container runs as its own user
    yield path


def _reconciled(kube: Kube, namespace: str, hubs: int) -> bool:
    listed = kube.list(resource_path(*HUBS, namespace=namespace))
    done = [
        h
        for h in listed
        if int((h.get("status") or {}).get("observedGeneration") or 0)
        >= int(h["metadata"]["generation"])
    ]
    if len(done) < hubs:
        return False
    deployments = kube.list(
        resource_path("apps/v1", "Deployment", namespace=namespace),
        label_selector="app.kubernetes.io/managed-by=stellars-operator",
    )
    return len(deployments) >= 2 * hubs


def _versions(kube: Kube, namespace: str) -> set[str]:
    return {
        obj["metadata"]["resourceVersion"]
        for plural in ("deployments", "replicasets")
        for obj in kube.list(f"/apis/apps/v1/namespaces/{namespace}/{plural}")
    }


def _wait_until_quiet(kube: Kube, namespace: str, *, quiet_s: float) -> float:
    """Seconds until no Deployment or ReplicaSet of the namespace changed for `quiet_s`."""
    started = time.monotonic()
    seen, since = _versions(kube, namespace), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() - started < SETTLE_MAX_S:
        time.sleep(5)
        now = _versions(kube, namespace)
        if now != seen:
            seen, since = now, time.monotonic()
    return time.monotonic() - started


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _by_user(requests: list[AuditedRequest], minutes: float) -> dict[str, float]:
    counts = Counter(r.user for r in requests)
    return {user: round(n / minutes, 2) for user, n in counts.most_common()}


def _install(plane: ControlPlane, kube: Kube) -> None:
    """What a hub needs from the cluster: the CRD, the hubs' ClusterRole, a namespace."""
    apply_crd(kube)
    cli = ClusterCli(kubeconfig=plane.kubeconfig)
    cli.kubectl(
        "apply", "-f", "-", stdin=render_chart_object(cli, "templates/hub-clusterrole.yaml")
    )
    kube.request("POST", "/api/v1/namespaces", body={"metadata": {"name": NAMESPACE}})


def measure_scale(
    *,
    hubs: int,
    idle_window_s: float,
    workdir: Path,
    log_path: Path,
    resync_s: int | None = None,
) -> dict[str, Any]:
    """`resync_s`: the operator's resync (None: its default); the idle window lasts at least
    `idle_window_s` and until every hub's first resync is over."""
    resync = resync_s or DEFAULT_RESYNC_S
    with private_control_plane(workdir / "control-plane") as plane:
        kube = plane.kube()
        _install(plane, kube)
        namespace = NAMESPACE
        with operator_identity(plane, kube, namespace=namespace) as kubeconfig:
            process = ShippedOperator(
                kube_config=kubeconfig,
                namespace=namespace,
                log_path=log_path,
                resync_seconds=resync_s,
            )
            try:
                process.start()
                pid = process.pid
                cpu_at_start, epoch_at_start = _cpu_seconds(pid), time.time()
                started = time.monotonic()
                for i in range(hubs):
                    kube.request(
                        "POST",
                        resource_path(*HUBS, namespace=namespace),
                        body=hub_body(namespace, f"s{i}", bench_spec()),
                    )
                deadline = started + RECONCILE_TIMEOUT_S
                while not _reconciled(kube, namespace, hubs):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{hubs} hubs not reconciled in {RECONCILE_TIMEOUT_S}s")
                    time.sleep(0.5)
                reconciled_s = time.monotonic() - started
                cpu_at_reconciled, epoch_at_reconciled = _cpu_seconds(pid), time.time()
                rss_reconciled = _rss_mb(pid)
                settled_s = _wait_until_quiet(kube, namespace, quiet_s=min(QUIET_S, idle_window_s))
                cpu_before, window_from = _cpu_seconds(pid), time.time()
                # A hub's timers start when the operator first handles it, by reconciled_s.
                resynced = started + reconciled_s + resync + RESYNC_MARGIN_S
                time.sleep(max(idle_window_s, resynced - time.monotonic()))
                cpu_after, window_to = _cpu_seconds(pid), time.time()
                rss = _rss_mb(pid)
            finally:
                process.stop()
        user = operator_user(namespace)
        creating = [
            r
            for r in plane.requests(since=epoch_at_start, until=epoch_at_reconciled)
            if r.user == user
        ]
        idle = plane.requests(since=window_from, until=window_to)
    window = window_to - window_from
    minutes = window / 60
    ours = [r for r in idle if r.user == user]
    others = [r for r in idle if r.user != user]
    return {
        "hubs": hubs,
        "reconciled_s": round(reconciled_s, 3),
        "rss_mb": round(rss, 1),
        "rss_reconciled_mb": round(rss_reconciled, 1),
        "idle_cpu_percent": round((cpu_after - cpu_before) / window * 100, 3),
        "idle_window_s": round(window, 1),
        "resync_s": resync,
        "quiet_after_s": round(settled_s, 1),
        "idle_requests_per_minute": round(len(ours) / minutes, 2),
        "idle_writes_per_minute": round(sum(r.is_write for r in ours) / minutes, 2),
        "idle_requests": [str(r) for r in ours[:LISTED_REQUESTS]],
        # What each idle status patch wrote: a write at idle should say why.
        "idle_status_patches": [
            {"uri": r.uri, "status": r.status} for r in ours if r.is_write and r.status
        ],
        # Everyone else meanwhile (the controller manager, the API server itself): the total.
        "idle_requests_per_minute_by_others": _by_user(others, minutes),
        # The count while creating: proof that the audit log sees the operator at all.
        "reconcile_requests": len(creating),
        "reconcile_writes": sum(r.is_write for r in creating),
        "reconcile_requests_by_verb": dict(Counter(r.verb for r in creating).most_common()),
        # CPU the operator itself spent meanwhile: how much of that time is its own work.
        "reconcile_cpu_s": round(cpu_at_reconciled - cpu_at_start, 1),
        "counted_by": "the API server's audit log (a control plane of the case's own)",
        "operator": f"{OPERATOR_IMAGE}, as it ships (tests/bench/shipped_operator.py)",
    }
