"""Hub deletion: stop user servers; delete user volumes and the hub's data only when the spec
asked for it (both are kept otherwise: teardown.py).

Everything else goes by owner references (garbage collection).
"""

from typing import Any

import kopf

from stellars_operator.constants import GROUP, PLURAL, VERSION
from stellars_operator.teardown import delete_user_data, keep_hub_data, stop_user_servers


@kopf.on.delete(GROUP, VERSION, PLURAL)
def release_users(
    *, body: kopf.Body, spec: kopf.Spec, namespace: str | None, name: str, memo: Any, **_: Any
) -> None:
    where = {"namespace": namespace or "", "hub_name": name}
    stopped = stop_user_servers(memo.kube, **where)
    message = f"stopped {len(stopped)} user server(s)"
    if (spec.get("storage") or {}).get("deleteUserDataOnHubDelete") is True:
        deleted = delete_user_data(memo.kube, **where)
        message += f", deleted {len(deleted)} user volume(s) and the hub's data"
    else:
        kept = keep_hub_data(memo.kube, **where)
        message += f"; user volumes kept, and the hub's data ({', '.join(kept) or 'none'})"
    kopf.info(body, reason="Deleting", message=message)
