"""Spawning labs through the hub on either path: one user's spawn -> ready against starting the
same lab directly, and many users signing up, logging in and spawning at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from tests.bench.labs import DirectLab, http_answers
from tests.bench.stats import paired_ratio, summary
from tests.fixtures.hub_client import HubClient

SPAWN_TIMEOUT_S: Final = 600
SPAWN_POLL_S: Final = 0.1


@dataclass
class Platform:
    """One running hub, the admin logged in, and how to copy a user's running lab."""

    name: str  # "kubernetes" or "docker"
    url: str
    admin: HubClient
    new_user: Callable[[], str]
    lab_copy: Callable[[str, str], DirectLab]  # (user, copy name) -> the lab, copied
    lab_url: Callable[[str], str | None]  # the user's lab reached directly, once it has an IP
    admin_lock: threading.Lock = field(default_factory=threading.Lock)


def approved_user(platform: Platform, name: str) -> tuple[HubClient, float]:
    """Sign up, approval by the admin, login and an API token; returns the client and how long
    the login took."""
    password = f"pw-{name}-Correct-Horse"
    client = HubClient(platform.url)
    client.sign_up(name, password)
    with platform.admin_lock:  # one admin session, one request at a time
        platform.admin.page(f"/hub/authorize/{name}")
    started = time.monotonic()
    response = client.log_in(name, password)
    login_s = time.monotonic() - started
    if response.status_code != 302:
        raise RuntimeError(f"{name} could not log in after approval ({response.status_code})")
    client.create_token(name)
    return client, login_s


def timed_spawn(client: HubClient, user: str, *, poll_s: float = SPAWN_POLL_S) -> float:
    """POST /users/<u>/server until the hub says the server is ready."""
    started = time.monotonic()
    response = client.api("POST", f"/users/{user}/server")
    if response.status_code not in (201, 202):
        raise RuntimeError(f"spawn of {user} refused: {response.status_code} {response.text}")
    deadline = started + SPAWN_TIMEOUT_S
    while time.monotonic() < deadline:
        model = client.api("GET", f"/users/{user}").json()
        server = (model.get("servers") or {}).get("")
        if server and server.get("ready"):
            return time.monotonic() - started
        if not server and not model.get("pending"):
            raise RuntimeError(f"the server of {user} stopped while starting: {model}")
        time.sleep(poll_s)
    raise TimeoutError(f"server of {user} not ready in {SPAWN_TIMEOUT_S}s")


class LabWatch:
    """While the hub spawns: when the lab itself first answered on its own address. The hub's
    "ready" minus that is the time the hub took to notice and route it."""

    def __init__(self, platform: Platform, user: str) -> None:
        self.platform, self.user = platform, user
        self.started = time.monotonic()
        self.answered_s: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            url = self.platform.lab_url(self.user)
            if url and http_answers(url):
                self.answered_s = time.monotonic() - self.started
                return
            time.sleep(SPAWN_POLL_S)

    def stop(self) -> float | None:
        self._done.set()
        self._thread.join(timeout=10)
        return self.answered_s


def measure_spawn(platform: Platform, *, repetitions: int) -> dict[str, Any]:
    """One user; a first spawn (untimed: it creates the volumes) gives the lab to copy; then
    pairs of (hub spawn, direct start), alternating which goes first."""
    user = platform.new_user()
    client, _ = approved_user(platform, user)
    timed_spawn(client, user)
    copy = platform.lab_copy(user, f"{user}-direct")
    client.stop_server(user)
    hub_s: list[float] = []
    direct_s: list[float] = []
    noticed_s: list[float] = []
    for i in range(repetitions):
        for side in ("hub", "direct") if i % 2 == 0 else ("direct", "hub"):
            if side == "hub":
                watch = LabWatch(platform, user)
                spawned = timed_spawn(client, user)
                answered = watch.stop()
                hub_s.append(spawned)
                if answered is not None:
                    noticed_s.append(spawned - answered)
                client.stop_server(user)
            else:
                direct_s.append(copy.start())
                copy.remove()
    figures = paired_ratio(hub_s, direct_s)
    if noticed_s:
        figures["ready_after_lab_answered"] = summary(noticed_s)
    return figures


def measure_concurrency(platform: Platform, *, users: int) -> dict[str, Any]:
    """`users` people at once: sign up, approval, login, spawn. A prober logs in over and over
    meanwhile: the hub's login time under that load."""
    names = [platform.new_user() for _ in range(users)]
    prober_name = platform.new_user()
    prober, _ = approved_user(platform, prober_name)
    prober_password = f"pw-{prober_name}-Correct-Horse"
    done = threading.Event()
    probe_logins: list[float] = []

    def probe() -> None:
        while not done.is_set():
            started = time.monotonic()
            prober.log_in(prober_name, prober_password)
            probe_logins.append(time.monotonic() - started)
            time.sleep(0.5)

    def story(name: str) -> tuple[HubClient, float, float]:
        client, login_s = approved_user(platform, name)
        # Spawns are polled once a second: twenty clients polling faster would be the load.
        return client, login_s, timed_spawn(client, name, poll_s=1.0)

    async def everyone() -> list[tuple[HubClient, float, float]]:
        return list(await asyncio.gather(*(asyncio.to_thread(story, n) for n in names)))

    prober_thread = threading.Thread(target=probe, daemon=True)
    prober_thread.start()
    started = time.monotonic()
    try:
        outcomes = asyncio.run(everyone())
    finally:
        done.set()
        prober_thread.join(timeout=60)
    wall_s = time.monotonic() - started

    async def stop_all() -> None:
        await asyncio.gather(
            *(
                asyncio.to_thread(c.stop_server, n)
                for (c, _, _), n in zip(outcomes, names, strict=True)
            )
        )

    asyncio.run(stop_all())
    spawns = [spawn for _, _, spawn in outcomes]
    return {
        "users": users,
        "succeeded": len(outcomes),
        "wall_s": round(wall_s, 3),
        "spawn": summary(spawns),
        "login_under_load": summary(probe_logins + [login for _, login, _ in outcomes]),
    }
