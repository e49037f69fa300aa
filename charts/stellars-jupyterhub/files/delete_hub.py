"""Pre-delete hook of `helm uninstall`: delete the chart's StellarsHub and wait until it is gone.

Helm deletes a release's objects all at once. Without this hook the operator could be stopped (or
lose its RBAC) before it has handled the hub's deletion, leaving the StellarsHub stuck on the
operator's finalizer and its user servers running. Run by the operator image in a Job.
"""

import os
import sys
import time

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

GROUP, VERSION, PLURAL = "stellars.io", "v1alpha1", "stellarshubs"


def main() -> int:
    namespace, name = os.environ["HUB_NAMESPACE"], os.environ["HUB_NAME"]
    timeout = int(os.environ.get("DELETE_TIMEOUT_SECONDS", "240"))
    config.load_incluster_config()  # type: ignore[no-untyped-call]
    api = client.CustomObjectsApi()
    try:
        api.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    except ApiException as error:
        if error.status != 404:
            raise
        print(f"stellarshub {namespace}/{name} does not exist: nothing to delete")
        return 0
    print(f"stellarshub {namespace}/{name}: deleted, waiting up to {timeout}s for the operator")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        except ApiException as error:
            if error.status == 404:
                print(f"stellarshub {namespace}/{name} is gone")
                return 0
            raise
        time.sleep(2)
    print(
        f"stellarshub {namespace}/{name} still exists after {timeout}s: is the operator running? "
        "(`kubectl get stellarshub` shows its finalizers)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
