"""Idle culling, both paths: `jupyterhub-idle-culler` as a hub-managed service.

The culler runs next to the hub as a JupyterHub service with a role that holds only the scopes
the culler documents (never an admin token): it lists users, reads their servers' last
activity, and stops servers idle longer than the timeout. Stopping a lab keeps its volumes
(Docker) or claims (Kubernetes), and frees its GPU.

Activity comes from two places: the proxy's routes (the hub polls them every
`last_activity_interval`) and the lab itself (jupyterhub-singleuser posts its last activity,
kernel output included, every `JUPYTERHUB_ACTIVITY_INTERVAL`). Both default to 5 minutes; with
a short timeout they must report more often than the culler looks, or busy labs would be culled.
"""

from __future__ import annotations

import sys
from typing import Any, Final

from traitlets.config import Config

from stellars_hub.contract import CullingPolicy

SERVICE_NAME: Final = "idle-culler"
# jupyterhub-idle-culler's README, "Permissions": what it needs, and admin:users only to delete
# users (--cull-users).
CULLER_SCOPES: Final = ("list:users", "read:users:activity", "read:servers", "delete:servers")
CULL_USERS_SCOPE: Final = "admin:users"
# JupyterHub's own default for both activity intervals (seconds).
DEFAULT_ACTIVITY_INTERVAL: Final = 300


def activity_interval(policy: CullingPolicy) -> int:
    """How often activity reaches the hub: a third of the timeout, at most the default."""
    return max(1, min(DEFAULT_ACTIVITY_INTERVAL, policy.timeout // 3))


def culler_command(policy: CullingPolicy, *, hub_api_url: str) -> list[str]:
    """The service's command, talking to the hub's API at `hub_api_url`."""
    command = [
        sys.executable,
        "-m",
        "jupyterhub_idle_culler",
        f"--url={hub_api_url}",
        f"--timeout={policy.timeout}",
        f"--cull-every={policy.every}",
        f"--max-age={policy.max_age}",
    ]
    if policy.users:
        command.append("--cull-users=True")
    return command


def culler_role(policy: CullingPolicy) -> dict[str, Any]:
    scopes = [*CULLER_SCOPES, *([CULL_USERS_SCOPE] if policy.users else [])]
    return {"name": SERVICE_NAME, "scopes": scopes, "services": [SERVICE_NAME]}


def activity_environment(policy: CullingPolicy) -> dict[str, str]:
    """Lab environment: how often jupyterhub-singleuser reports activity to the hub."""
    if not policy.enabled:
        return {}
    return {"JUPYTERHUB_ACTIVITY_INTERVAL": str(activity_interval(policy))}


def configure_culling(c: Config, policy: CullingPolicy, *, hub_api_url: str) -> None:
    """Run the culler as a hub service when culling is on; nothing otherwise.

    `hub_api_url` is the hub's API on this host (the hub listens on every interface, so no
    Service or network policy sits between the culler and the hub)."""
    if not policy.enabled:
        return
    c.JupyterHub.services = [
        *c.JupyterHub.get("services", []),
        {"name": SERVICE_NAME, "command": culler_command(policy, hub_api_url=hub_api_url)},
    ]
    c.JupyterHub.load_roles = [*c.JupyterHub.get("load_roles", []), culler_role(policy)]
    c.JupyterHub.last_activity_interval = activity_interval(policy)
