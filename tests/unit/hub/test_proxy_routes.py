"""The hub refills the routes of a proxy that lost them (a new proxy pod on Kubernetes)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from traitlets.config import Config

from stellars_hub.proxy_routes import ROUTE_WATCH_INTERVAL_S, RouteRestoringProxy, hub_route_missing

# What configurable-http-proxy's API lists: paths without their trailing slash, the hub's
# routes marked `jupyterhub`, and its default target (unmarked) at "/".
DEFAULT_TARGET = {"/": {"target": "http://demo-hub:8081", "last_activity": "2026-11-30T19:00:00Z"}}
HUB_ROUTE = {"/jupyterhub": {"target": "http://demo-hub:8081", "jupyterhub": True, "hub": True}}
USER_ROUTE = {
    "/jupyterhub/user/alice": {
        "target": "http://10.244.0.9:8888",
        "jupyterhub": True,
        "user": "alice",
    }
}


@pytest.mark.parametrize(
    ("table", "missing"),
    [
        ({**DEFAULT_TARGET}, True),  # a new proxy: only its default target
        ({}, True),
        ({**DEFAULT_TARGET, **HUB_ROUTE, **USER_ROUTE}, False),
        ({**HUB_ROUTE}, False),  # no user running: nothing lost
        ({"/jupyterhub": {"target": "http://elsewhere"}}, True),  # not the hub's own route
    ],
)
def test_a_table_without_the_hubs_own_route_was_lost(
    table: dict[str, dict[str, Any]], missing: bool
) -> None:
    assert hub_route_missing(table, "/jupyterhub/") is missing


def test_a_hub_at_the_root_finds_its_route() -> None:
    table = {"/": {"target": "http://demo-hub:8081", "jupyterhub": True}}
    assert hub_route_missing(table, "/") is False
    assert hub_route_missing(DEFAULT_TARGET, "/") is True


def test_the_route_watch_looks_every_second_unless_turned_off() -> None:
    assert RouteRestoringProxy.route_watch_interval.default_value == ROUTE_WATCH_INTERVAL_S == 1.0
    config = Config()
    config.RouteRestoringProxy.route_watch_interval = 0.0
    config.ConfigurableHTTPProxy.should_start = False
    config.ConfigurableHTTPProxy.auth_token = "x"
    assert RouteRestoringProxy(config=config).route_watch_interval == 0.0


class _App:
    """What the watch reads of JupyterHub's app."""

    def __init__(self) -> None:
        self.hub = type("Hub", (), {"routespec": "/jupyterhub/"})()
        self.users: dict[int, Any] = {}
        self._service_map: dict[str, Any] = {}


def _watching(
    table: dict[str, dict[str, Any]] | Exception,
) -> tuple[RouteRestoringProxy, list[Any]]:
    config = Config()
    config.ConfigurableHTTPProxy.should_start = False
    config.ConfigurableHTTPProxy.auth_token = "x"
    proxy = RouteRestoringProxy(config=config, app=_App())
    checks: list[Any] = []

    async def fetch() -> dict[str, dict[str, Any]]:
        if isinstance(table, Exception):
            raise table
        return table

    async def check_routes(users: Any, services: Any, routes: Any = None) -> None:
        checks.append((users, services))

    proxy._fetch_table = fetch  # type: ignore[method-assign]
    proxy.check_routes = check_routes  # type: ignore[method-assign]
    return proxy, checks


@pytest.mark.parametrize(
    ("table", "refilled"),
    [
        (DEFAULT_TARGET, True),
        ({**DEFAULT_TARGET, **HUB_ROUTE, **USER_ROUTE}, False),
        (ConnectionRefusedError("proxy pod not Ready yet"), False),
    ],
)
def test_the_watch_refills_only_a_table_that_lost_the_routes(
    table: dict[str, dict[str, Any]] | Exception, refilled: bool
) -> None:
    proxy, checks = _watching(table)
    asyncio.run(proxy._restore_lost_routes())
    assert len(checks) == (1 if refilled else 0)
