"""Leader election on a coordination.k8s.io Lease: of several operator processes, one reconciles.

Two replicas during a rolling update, or a second process started by mistake, must never both
write a hub's children. Before kopf starts, each process waits for the Lease
(`<namespace>/<lease name>`, in the operator's namespace); the holder renews it every third of
its duration, the others stand by, serving the liveness URL so that they count as ready.

A stand-by takes the Lease only when it is free or released, or when the record it read has not
changed for a whole lease duration by its own clock (clocks of two machines need not agree).
While the API server cannot be reached nobody can renew nor take over, so the holder carries on
(its writes fail as well); the moment it reads the Lease held by another, it exits at once. On
SIGTERM the holder releases the Lease, so a rolling update hands over within a retry period; a
holder killed outright is replaced one lease duration after the last renewal.

Pure decisions (`next_sighting`, `may_take`, `claimed`, `released`) are apart from the loop
(`LeaderElector`), which the unit tests drive with a fake API and clock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import urlparse

from kubernetes.client.exceptions import ApiException

from stellars_operator.kube import Kube

logger = logging.getLogger(__name__)

DEFAULT_LEASE_NAME: Final = "stellars-operator"
DEFAULT_LEASE_SECONDS: Final = 15
# Where and how: the namespace defaults to the pod's (POD_NAMESPACE); none means no election
# (an operator run by hand, or by the tests, outside the cluster).
NAMESPACE_VARIABLE: Final = "STELLARS_LEADER_ELECTION_NAMESPACE"
LEASE_NAME_VARIABLE: Final = "STELLARS_LEADER_ELECTION_LEASE"
LEASE_SECONDS_VARIABLE: Final = "STELLARS_LEADER_ELECTION_LEASE_SECONDS"


def lease_path(namespace: str, name: str | None = None) -> str:
    collection = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
    return f"{collection}/{name}" if name else collection


def _now_micro() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class ElectionSettings:
    namespace: str
    identity: str
    lease_name: str = DEFAULT_LEASE_NAME
    lease_seconds: int = DEFAULT_LEASE_SECONDS

    @property
    def renew_seconds(self) -> float:
        return self.lease_seconds / 3

    @property
    def retry_seconds(self) -> float:
        return max(0.5, self.lease_seconds / 5)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ElectionSettings | None:
        """None when no namespace is given (no election); a bad duration raises ValueError
        naming the variable."""
        namespace = (environ.get(NAMESPACE_VARIABLE) or environ.get("POD_NAMESPACE") or "").strip()
        if not namespace:
            return None
        raw = environ.get(LEASE_SECONDS_VARIABLE, "").strip() or str(DEFAULT_LEASE_SECONDS)
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{LEASE_SECONDS_VARIABLE} must be a positive integer, not {raw!r}")
        # POD_NAME in the cluster (stable across the container's restarts); host and pid outside.
        identity = environ.get("POD_NAME", "").strip() or f"{socket.gethostname()}-{os.getpid()}"
        return cls(
            namespace=namespace,
            identity=identity,
            lease_name=environ.get(LEASE_NAME_VARIABLE, "").strip() or DEFAULT_LEASE_NAME,
            lease_seconds=int(raw),
        )


@dataclass(frozen=True)
class Sighting:
    """A Lease record as a stand-by last read it, and since when (its own monotonic clock)."""

    record: tuple[str, str, int]  # holder, renewTime, leaseDurationSeconds
    since: float


def holder_of(lease: Mapping[str, Any] | None) -> str:
    return str(((lease or {}).get("spec") or {}).get("holderIdentity") or "")


def _record(lease: Mapping[str, Any]) -> tuple[str, str, int]:
    spec = lease.get("spec") or {}
    return (
        holder_of(lease),
        str(spec.get("renewTime") or ""),
        int(spec.get("leaseDurationSeconds") or 0),
    )


def next_sighting(previous: Sighting | None, lease: Mapping[str, Any], *, now: float) -> Sighting:
    """The same sighting while the record is unchanged; a new one from `now` when it changed."""
    record = _record(lease)
    if previous is not None and previous.record == record:
        return previous
    return Sighting(record=record, since=now)


def may_take(
    lease: Mapping[str, Any], *, identity: str, sighting: Sighting, now: float, lease_seconds: int
) -> bool:
    """Free, released, already ours, or unchanged for a whole lease duration since seen."""
    _, _, duration = sighting.record
    if not holder_of(lease) or holder_of(lease) == identity:
        return True
    return now - sighting.since >= (duration or lease_seconds)


def claimed(
    lease: Mapping[str, Any] | None, *, identity: str, now_iso: str, lease_seconds: int
) -> dict[str, Any]:
    """The Lease's spec with `identity` holding it, renewed at `now_iso`."""
    spec = dict((lease or {}).get("spec") or {})
    if holder_of(lease) != identity:
        spec["acquireTime"] = now_iso
        spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (1 if lease else 0)
    spec.update(holderIdentity=identity, leaseDurationSeconds=lease_seconds, renewTime=now_iso)
    return spec


def released(lease: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with nobody holding it: a stand-by takes it at its next try."""
    spec = dict(lease.get("spec") or {})
    spec.update(holderIdentity=None, leaseDurationSeconds=1)
    return spec


class LeaderElector:
    """Waits for the Lease, then renews it from a thread; `on_lost` is called if another holds
    it (the operator then exits: kopf cannot be paused)."""

    def __init__(
        self,
        kube: Kube,
        settings: ElectionSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.kube = kube
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.sighting: Sighting | None = None
        self._stop = threading.Event()
        self._waiting_for = ""

    @property
    def path(self) -> str:
        return lease_path(self.settings.namespace, self.settings.lease_name)

    def _write(self, lease: Mapping[str, Any] | None, spec: Mapping[str, Any]) -> bool:
        """Create or replace the Lease with `spec`; False when another process got there first
        (409: the resourceVersion we read is stale, or the Lease was created meanwhile)."""
        meta: dict[str, Any] = {"name": self.settings.lease_name}
        if lease is not None:
            meta["resourceVersion"] = lease["metadata"]["resourceVersion"]
        body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta}
        body["spec"] = dict(spec)
        try:
            if lease is None:
                self.kube.request("POST", lease_path(self.settings.namespace), body=body)
            else:
                self.kube.request("PUT", self.path, body=body)
        except ApiException as error:
            if error.status == 409:
                return False
            raise
        return True

    def try_acquire(self) -> bool:
        lease = self.kube.get(self.path)
        if lease is not None:
            now = self.clock()
            self.sighting = next_sighting(self.sighting, lease, now=now)
            if not may_take(
                lease,
                identity=self.settings.identity,
                sighting=self.sighting,
                now=now,
                lease_seconds=self.settings.lease_seconds,
            ):
                if holder_of(lease) != self._waiting_for:
                    self._waiting_for = holder_of(lease)
                    logger.info("standing by: lease %s held by %s", self.path, self._waiting_for)
                return False
        spec = claimed(
            lease,
            identity=self.settings.identity,
            now_iso=_now_micro(),
            lease_seconds=self.settings.lease_seconds,
        )
        return self._write(lease, spec)

    def acquire(self) -> None:
        """Block until this process holds the Lease."""
        while True:
            try:
                if self.try_acquire():
                    logger.info("leading: lease %s held by %s", self.path, self.settings.identity)
                    return
            except Exception as error:  # the API server away: stand by and try again
                logger.warning("lease %s not readable: %s", self.path, error)
            self.sleep(self.settings.retry_seconds)

    def renew_once(self) -> str | None:
        """Renew the Lease; the holder's name when another holds it (leadership lost)."""
        lease = self.kube.get(self.path)
        holder = holder_of(lease)
        if lease is None or holder != self.settings.identity:
            return holder or "nobody"
        spec = claimed(
            lease,
            identity=self.settings.identity,
            now_iso=_now_micro(),
            lease_seconds=self.settings.lease_seconds,
        )
        self._write(lease, spec)  # a 409 is retried at the next renewal
        return None

    def keep_leading(self, on_lost: Callable[[str], None]) -> threading.Thread:
        """Renew from a daemon thread until `release`; `on_lost(holder)` if another holds it."""

        def loop() -> None:
            while not self._stop.wait(self.settings.renew_seconds):
                try:
                    holder = self.renew_once()
                except Exception as error:  # unreachable: nobody else can take it either
                    logger.warning("lease %s not renewed: %s", self.path, error)
                    continue
                if holder is not None:
                    on_lost(holder)
                    return

        thread = threading.Thread(target=loop, name="lease-renewal", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        """Stop renewing and hand the Lease over (best effort: it expires anyway)."""
        self._stop.set()
        try:
            lease = self.kube.get(self.path)
            if lease is not None and holder_of(lease) == self.settings.identity:
                self._write(lease, released(lease))
                logger.info("released lease %s", self.path)
        except Exception as error:
            logger.warning("lease %s not released: %s", self.path, error)


class _StandbyHealth(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"standby": true}')

    def log_message(self, format: str, *args: Any) -> None:
        return  # probes every few seconds would flood the log


def serve_standby_health(liveness_url: str) -> ThreadingHTTPServer:
    """Answer the liveness URL while standing by (kopf serves it once this process leads);
    call `shutdown()` and `server_close()` before kopf starts."""
    url = urlparse(liveness_url)
    # The address kopf would serve on (the chart's `--liveness` binds every interface).
    address = (url.hostname or "127.0.0.1", url.port or 80)
    server = ThreadingHTTPServer(address, _StandbyHealth)
    threading.Thread(target=server.serve_forever, name="standby-health", daemon=True).start()
    return server
