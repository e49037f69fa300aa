"""`python -m stellars_operator.delete_hub`: the pre-delete hook of `helm uninstall`.

Helm deletes a release's objects all at once. Without this hook the operator could be stopped (or
lose its RBAC) before it has handled the hub's deletion, leaving the StellarsHub stuck on the
operator's finalizer and its user servers running. So the chart runs this first, in a Job on the
operator image whose ServiceAccount may only get and delete that one hub
(charts/stellars-jupyterhub/templates/hub-delete-hook.yaml): delete the hub, then wait until the
operator has let it go.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stellars_operator.constants import API_VERSION, KIND
from stellars_operator.kube import Kube, KubeClient, load_api_client, resource_path

POLL_INTERVAL_S = 2.0
DEFAULT_TIMEOUT_S = 240


@dataclass(frozen=True)
class HubToDelete:
    """Which hub, and how long the operator may take to release it."""

    namespace: str
    name: str
    timeout_s: int = DEFAULT_TIMEOUT_S

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> HubToDelete:
        """HUB_NAMESPACE, HUB_NAME and DELETE_TIMEOUT_SECONDS, as the chart's Job sets them."""
        missing = [key for key in ("HUB_NAMESPACE", "HUB_NAME") if not environ.get(key)]
        if missing:
            raise ValueError(f"{' and '.join(missing)} must be set")
        raw_timeout = environ.get("DELETE_TIMEOUT_SECONDS", str(DEFAULT_TIMEOUT_S))
        try:
            timeout_s = int(raw_timeout)
        except ValueError:
            raise ValueError(
                f"DELETE_TIMEOUT_SECONDS must be a whole number of seconds, got {raw_timeout!r}"
            ) from None
        return cls(
            namespace=environ["HUB_NAMESPACE"], name=environ["HUB_NAME"], timeout_s=timeout_s
        )

    @property
    def path(self) -> str:
        return resource_path(API_VERSION, KIND, namespace=self.namespace, name=self.name)


def delete_and_wait(
    kube: KubeClient,
    hub: HubToDelete,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Delete the hub and wait until it is gone; False when it outlives `hub.timeout_s`."""
    where = f"stellarshub {hub.namespace}/{hub.name}"
    if not kube.delete(hub.path):
        print(f"{where} does not exist: nothing to delete")
        return True
    print(f"{where}: deleted, waiting up to {hub.timeout_s}s for the operator")
    deadline = clock() + hub.timeout_s
    while clock() < deadline:
        if kube.get(hub.path) is None:
            print(f"{where} is gone")
            return True
        sleep(POLL_INTERVAL_S)
    print(
        f"{where} still exists after {hub.timeout_s}s: is the operator running? "
        "(`kubectl get stellarshub` shows its finalizers)",
        file=sys.stderr,
    )
    return False


def main() -> int:
    try:
        hub = HubToDelete.from_environment(os.environ)
    except ValueError as error:
        print(f"delete_hub: {error}", file=sys.stderr)
        return 2
    return 0 if delete_and_wait(Kube(load_api_client()), hub) else 1


if __name__ == "__main__":
    sys.exit(main())
