"""The proxy on Kubernetes: configurable-http-proxy in its own Deployment, whose routes the hub
puts back within a second of the proxy losing them.

The proxy keeps its route table in memory only. On Kubernetes it runs in a pod of its own (so a
hub restart does not cut users off), which means the hub neither starts it nor sees it restart:
a new proxy pod knows only its default target (the hub), and every lab stays unreachable until
JupyterHub happens to check the routes again (`update_last_activity`, every 5 minutes by
default). So the hub asks the proxy API for its table every second (one small request inside
the namespace) and re-adds every route as soon as its own route is gone from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from jupyterhub.proxy import ConfigurableHTTPProxy
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.ioloop import PeriodicCallback
from traitlets import Float

ROUTE_WATCH_INTERVAL_S: Final = 1.0


def hub_route_missing(chp_routes: Mapping[str, Mapping[str, Any]], hub_routespec: str) -> bool:
    """Whether the proxy's table (its API's JSON: path -> data) lacks the hub's own route,
    which the hub adds first and never removes: then the proxy lost what the hub gave it.
    The proxy stores paths without their trailing slash; routes the hub did not add are not
    marked `jupyterhub` (the proxy's default target among them)."""
    wanted = hub_routespec.rstrip("/") or "/"
    return not any(
        (path.rstrip("/") or "/") == wanted and data.get("jupyterhub")
        for path, data in chp_routes.items()
    )


class RouteRestoringProxy(ConfigurableHTTPProxy):  # type: ignore[misc]
    """ConfigurableHTTPProxy that watches an external proxy's table and refills it."""

    route_watch_interval = Float(
        ROUTE_WATCH_INTERVAL_S,
        help="Seconds between looks at the proxy's route table (0: never look).",
    ).tag(config=True)

    _route_watch: PeriodicCallback | None = None

    async def check_routes(self, user_dict: Any, service_dict: Any, routes: Any = None) -> None:
        # JupyterHub checks the routes once while starting, after it has reached the proxy:
        # from then on the event loop runs and the watch can start.
        if self._route_watch is None and self.route_watch_interval > 0:
            self._route_watch = PeriodicCallback(
                self._restore_lost_routes, 1000 * self.route_watch_interval
            )
            self._route_watch.start()
        await super().check_routes(user_dict, service_dict, routes)

    async def _fetch_table(self) -> dict[str, dict[str, Any]]:
        # Short timeouts and no retries (unlike api_request): the next look is a second away.
        request = HTTPRequest(
            self.api_url.rstrip("/") + "/api/routes",
            headers={"Authorization": f"token {self.auth_token}"},
            connect_timeout=1,
            request_timeout=2,
        )
        response = await AsyncHTTPClient().fetch(request)
        table: dict[str, dict[str, Any]] = json.loads(response.body)
        return table

    async def _restore_lost_routes(self) -> None:
        try:
            table = await self._fetch_table()
        except Exception as error:  # a proxy that is away now is looked at again in a second
            self.log.debug("proxy route table not readable (%s); looking again shortly", error)
            return
        if not hub_route_missing(table, self.app.hub.routespec):
            return
        self.log.warning(
            "proxy lost its routes (a new proxy pod?): adding back the hub's and %d users' routes",
            sum(1 for user in self.app.users.values() if user.running),
        )
        await self.check_routes(self.app.users, self.app._service_map)
