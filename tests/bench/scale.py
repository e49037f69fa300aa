"""Many StellarsHubs under one operator: time until all are reconciled, then the operator left
alone: its memory, its CPU, and the API requests it makes, counted by the API server.

The cluster is shared, so its request totals carry everyone's traffic. The operator gets an
identity of its own (a ServiceAccount) and two FlowSchemas of API Priority and Fairness match
exactly that identity, one for writes and one for everything else: the API server's
`apiserver_flowcontrol_dispatched_requests_total` for those schemas counts the operator's
requests and nothing else. A ResourceQuota of zero pods keeps the hubs' Deployments from
running anything: the case measures the operator, not a hundred hubs on one node.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import yaml

from stellars_operator.kube import Kube, resource_path
from tests.bench.k8s import bench_spec, hub_body
from tests.fixtures.operator_process import OperatorProcess
from tests.fixtures.stellarshub import HUBS, delete_hubs

SA: Final = "bench-operator"


def flow_schemas(namespace: str) -> dict[str, str]:
    """The FlowSchemas of one scale run (named after its namespace: runs never share them)."""
    return {kind: f"stellars-bench-{namespace}-{kind}" for kind in ("writes", "reads")}


WRITE_VERBS: Final = ["create", "update", "patch", "delete", "deletecollection"]
RECONCILE_TIMEOUT_S: Final = 900
# "Idle" starts once nothing in the namespace has changed for QUIET_S (or the idle window, when
# shorter): the quota's refusals
# make the ReplicaSet controller retry (with a growing backoff), and each retry may touch a
# Deployment's status, which the operator rightly looks at. At most SETTLE_MAX_S of waiting.
QUIET_S: Final = 30
SETTLE_MAX_S: Final = 400
FLOWCONTROL: Final = "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas"
_DISPATCHED: Final = re.compile(
    r"^apiserver_flowcontrol_dispatched_requests_total\{([^}]*)\} ([0-9.e+]+)$", re.M
)


def _flow_schema(name: str, namespace: str, verbs: list[str], precedence: int) -> dict[str, Any]:
    return {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
        "kind": "FlowSchema",
        "metadata": {"name": name},
        "spec": {
            "priorityLevelConfiguration": {"name": "global-default"},
            "matchingPrecedence": precedence,
            "distinguisherMethod": {"type": "ByUser"},
            "rules": [
                {
                    "subjects": [
                        {
                            "kind": "ServiceAccount",
                            "serviceAccount": {"name": SA, "namespace": namespace},
                        }
                    ],
                    "resourceRules": [
                        {
                            "verbs": verbs,
                            "apiGroups": ["*"],
                            "resources": ["*"],
                            "clusterScope": True,
                            "namespaces": ["*"],
                        }
                    ],
                    "nonResourceRules": [{"verbs": verbs, "nonResourceURLs": ["*"]}],
                }
            ],
        },
    }


def metrics_text(kube: Kube) -> str:
    """The API server's /metrics, as text."""
    api = kube.api_client
    method, url, headers, _, _ = api.param_serialize(
        "GET", "/metrics", header_params={"Accept": "text/plain"}, auth_settings=["BearerToken"]
    )
    response = api.call_api(method, url, header_params=headers)
    return str(response.read().decode())


def dispatched(kube: Kube, namespace: str) -> dict[str, float]:
    """The API server's count of requests dispatched per FlowSchema of this run."""
    text = metrics_text(kube)
    schemas = flow_schemas(namespace)
    counts = dict.fromkeys(schemas, 0.0)
    for labels, value in _DISPATCHED.findall(text):
        for kind, schema in schemas.items():
            if f'flow_schema="{schema}"' in labels:
                counts[kind] += float(value)
    return counts


@contextmanager
def operator_identity(
    kube: Kube, *, namespace: str, admin_kubeconfig: str, path: Path
) -> Iterator[Path]:
    """A kubeconfig for a ServiceAccount of its own (cluster-admin, as the chart's operator is
    all but), and the FlowSchemas that count its requests; all removed afterwards."""
    binding = f"{SA}-{namespace}"
    kube.request(
        "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts", body={"metadata": {"name": SA}}
    )
    kube.request(
        "POST",
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        body={
            "metadata": {"name": binding},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": SA, "namespace": namespace}],
        },
    )
    for precedence, (kind, name) in enumerate(flow_schemas(namespace).items(), start=500):
        verbs = WRITE_VERBS if kind == "writes" else ["*"]
        kube.delete(f"{FLOWCONTROL}/{name}")  # a leftover of an interrupted run
        kube.request("POST", FLOWCONTROL, body=_flow_schema(name, namespace, verbs, precedence))
    try:
        token = kube.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{SA}/token",
            body={"spec": {"expirationSeconds": 7200}},
        )["status"]["token"]
        admin = yaml.safe_load(Path(admin_kubeconfig).read_text())
        cluster = admin["clusters"][0]["cluster"]
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": cluster}],
                    "users": [{"name": SA, "user": {"token": token}}],
                    "contexts": [{"name": "c", "context": {"cluster": "c", "user": SA}}],
                    "current-context": "c",
                }
            )
        )
        yield path
    finally:
        for name in flow_schemas(namespace).values():
            kube.delete(f"{FLOWCONTROL}/{name}")
        kube.delete(f"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{binding}")


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


def measure_scale(
    kube: Kube,
    *,
    admin_kubeconfig: str,
    namespace: str,
    hubs: int,
    idle_window_s: float,
    workdir: Path,
    log_path: Path,
) -> dict[str, Any]:
    kube.request(
        "POST",
        f"/api/v1/namespaces/{namespace}/resourcequotas",
        body={"metadata": {"name": "no-pods"}, "spec": {"hard": {"pods": "0"}}},
    )
    with operator_identity(
        kube,
        namespace=namespace,
        admin_kubeconfig=admin_kubeconfig,
        path=workdir / "operator.kubeconfig",
    ) as kubeconfig:
        process = OperatorProcess(
            kube_config=str(kubeconfig),
            namespace=namespace,
            log_path=log_path,
            resync_seconds=None,
        )
        process.start()
        try:
            assert process.process is not None
            pid = process.process.pid
            at_start, cpu_at_start = dispatched(kube, namespace), _cpu_seconds(pid)
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
            at_reconciled, cpu_at_reconciled = dispatched(kube, namespace), _cpu_seconds(pid)
            settled_s = _wait_until_quiet(kube, namespace, quiet_s=min(QUIET_S, idle_window_s))
            before, cpu_before = dispatched(kube, namespace), _cpu_seconds(pid)
            window_started = time.monotonic()
            time.sleep(idle_window_s)
            window = time.monotonic() - window_started
            after, cpu_after = dispatched(kube, namespace), _cpu_seconds(pid)
            rss = _rss_mb(pid)
        finally:
            delete_hubs(kube, namespace)
            process.stop()
    per_minute = 60 / window
    reads = (after["reads"] - before["reads"]) * per_minute
    writes = (after["writes"] - before["writes"]) * per_minute
    return {
        "hubs": hubs,
        "reconciled_s": round(reconciled_s, 3),
        "rss_mb": round(rss, 1),
        "idle_cpu_percent": round((cpu_after - cpu_before) / window * 100, 3),
        "idle_window_s": round(window, 1),
        "quiet_after_s": round(settled_s, 1),
        "idle_requests_per_minute": round(reads + writes, 2),
        "idle_writes_per_minute": round(writes, 2),
        # The count while creating: proof that the FlowSchemas see the operator at all.
        "reconcile_requests": sum(at_reconciled.values()) - sum(at_start.values()),
        "reconcile_writes": at_reconciled["writes"] - at_start["writes"],
        # CPU the operator itself spent meanwhile: how much of that time is its own work.
        "reconcile_cpu_s": round(cpu_at_reconciled - cpu_at_start, 1),
        "counted_by": "apiserver_flowcontrol_dispatched_requests_total (FlowSchemas "
        + ", ".join(flow_schemas(namespace).values())
        + ")",
    }
