"""A control plane of the scale case's own: etcd, an API server with an audit log, and a
controller manager, on free loopback ports, for as long as a `with` block runs.

The shared cluster carries everyone else's traffic and a kubelet; the scale case wants neither.
This one uses the sealed cluster's binaries and certificates (tests/cluster/cluster-up.sh made
them), keeps all its state in a directory of its own, and is gone when the block ends. Every
request the API server serves is written to the audit log, with the user who made it: the API
server's own count of what the operator asked. There are no nodes, so no scheduler: nothing
could be placed anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import yaml
from kubernetes import config

from stellars_operator.kube import Kube
from tests.fixtures.binaries import binary_dir
from tests.fixtures.cluster import cluster_answers
from tests.fixtures.ports import free_port

STATE_DIR: Final = Path(os.environ.get("STELLARS_CLUSTER_STATE", "/var/lib/stellars/cluster"))
PKI: Final = STATE_DIR / "pki"
SERVICE_CIDR: Final = "10.96.0.0/12"
START_TIMEOUT_S: Final = 120
# Metadata (who, what, when), each request once: when it is answered; a hub's status patches
# with their body too (what a write while idle changed).
AUDIT_POLICY: Final = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {
            "level": "Request",
            "verbs": ["patch"],
            "resources": [{"group": "stellars.io", "resources": ["stellarshubs/status"]}],
        },
        {"level": "Metadata"},
    ],
}
WRITE_VERBS: Final = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class AuditedRequest:
    user: str
    verb: str
    uri: str
    received: float  # epoch seconds
    status_fields: tuple[str, ...] = ()  # what a status patch wrote
    # The status a status patch wrote (its body), for telling why an idle pass wrote.
    status: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_write(self) -> bool:
        return self.verb in WRITE_VERBS

    def __str__(self) -> str:
        fields = f" ({', '.join(self.status_fields)})" if self.status_fields else ""
        return f"{self.user} {self.verb} {self.uri}{fields}"


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@dataclass
class ControlPlane:
    workdir: Path
    kubeconfig: Path = field(init=False)
    audit_log: Path = field(init=False)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kubeconfig = self.workdir / "admin.kubeconfig"
        self.audit_log = self.workdir / "audit.log"

    def kube(self) -> Kube:
        return Kube(config.new_client_from_config(config_file=str(self.kubeconfig)))  # type: ignore[no-untyped-call]

    def requests(self, *, since: float, until: float) -> list[AuditedRequest]:
        """Every request received in [since, until) (epoch seconds), once each."""
        seen: dict[str, AuditedRequest] = {}
        with self.audit_log.open() as lines:
            for line in lines:
                event = json.loads(line)
                received = _epoch(event["requestReceivedTimestamp"])
                if since <= received < until and event["auditID"] not in seen:
                    status = (event.get("requestObject") or {}).get("status") or {}
                    seen[event["auditID"]] = AuditedRequest(
                        user=event["user"]["username"],
                        verb=event["verb"],
                        uri=event["requestURI"],
                        received=received,
                        status_fields=tuple(status),
                        status=status,
                    )
        return sorted(seen.values(), key=lambda r: r.received)

    def _start(self, name: str, *args: str) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                [str(binary_dir() / name), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def _wait(self, what: str, ready: Any) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready():
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args!r} exited (logs: {self.workdir})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not ready in {START_TIMEOUT_S}s (logs: {self.workdir})")
            time.sleep(0.5)

    def _write_kubeconfig(self, path: Path, server: str, user: str) -> None:
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "c",
                            "cluster": {
                                "server": server,
                                "certificate-authority": str(PKI / "ca.crt"),
                            },
                        }
                    ],
                    "users": [
                        {
                            "name": user,
                            "user": {
                                "client-certificate": str(PKI / f"{user}.crt"),
                                "client-key": str(PKI / f"{user}.key"),
                            },
                        }
                    ],
                    "contexts": [{"name": "c", "context": {"cluster": "c", "user": user}}],
                    "current-context": "c",
                }
            )
        )

    def start(self) -> None:
        etcd_client, etcd_peer, api_port = free_port(), free_port(), free_port()
        etcd_url, peer_url = f"http://127.0.0.1:{etcd_client}", f"http://127.0.0.1:{etcd_peer}"
        self._start(
            "etcd",
            "--name=bench",
            f"--data-dir={self.workdir / 'etcd'}",
            "--unsafe-no-fsync",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=bench={peer_url}",
        )
        policy = self.workdir / "audit-policy.yaml"
        policy.write_text(yaml.safe_dump(AUDIT_POLICY))
        self._start(
            "kube-apiserver",
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}",
            f"--client-ca-file={PKI / 'ca.crt'}",
            f"--tls-cert-file={PKI / 'apiserver.crt'}",
            f"--tls-private-key-file={PKI / 'apiserver.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={PKI / 'sa.pub'}",
            f"--service-account-signing-key-file={PKI / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=RBAC",
            f"--audit-policy-file={policy}",
            f"--audit-log-path={self.audit_log}",
            "--audit-log-mode=blocking",
            "--profiling=false",
        )
        server = f"https://127.0.0.1:{api_port}"
        self._write_kubeconfig(self.kubeconfig, server, "admin")
        self._wait("the API server", lambda: cluster_answers(str(self.kubeconfig)))
        controller_kubeconfig = self.workdir / "controller-manager.kubeconfig"
        self._write_kubeconfig(controller_kubeconfig, server, "controller-manager")
        self._start(
            "kube-controller-manager",
            f"--kubeconfig={controller_kubeconfig}",
            "--secure-port=0",
            "--leader-elect=false",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={PKI / 'sa.key'}",
            f"--root-ca-file={PKI / 'ca.crt'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--profiling=false",
        )
        kube = self.kube()
        path = "/api/v1/namespaces/default/serviceaccounts/default"
        self._wait("the controller manager", lambda: kube.get(path) is not None)

    def stop(self) -> None:
        for process in reversed(self.processes):
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()


def available() -> str | None:
    """Why a private control plane cannot start here; None when it can."""
    missing = [
        str(path)
        for path in (
            *(binary_dir() / b for b in ("etcd", "kube-apiserver", "kube-controller-manager")),
            *(PKI / f for f in ("ca.crt", "apiserver.crt", "admin.crt", "sa.key")),
        )
        if not path.is_file()
    ]
    return f"missing {', '.join(missing)}" if missing else None


@contextmanager
def private_control_plane(workdir: Path) -> Iterator[ControlPlane]:
    """A running control plane of its own under `workdir`, stopped when the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    plane = ControlPlane(workdir)
    try:
        plane.start()
        yield plane
    finally:
        plane.stop()
        shutil.rmtree(workdir / "etcd", ignore_errors=True)  # its preallocated files are large
