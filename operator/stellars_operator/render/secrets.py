"""The hub's Secret; the values are generated once by the caller (credentials.py) and passed in.

The hub and the proxy share the proxy token: both pod templates carry a hash of the Secret's
values, so that a changed Secret rolls them together and they never run with different tokens.
"""

import base64
import copy
import hashlib
from collections.abc import Mapping
from typing import Any

from stellars_operator.constants import SECRETS_HASH_ANNOTATION
from stellars_operator.labels import ChildNames
from stellars_operator.render.metadata import object_meta
from stellars_operator.spec import Hub


def render_secrets(hub: Hub, *, values: Mapping[str, str]) -> list[dict[str, Any]]:
    # `data` (not `stringData`) so that re-applying the same values is a no-op for the server.
    data = {key: base64.b64encode(value.encode()).decode() for key, value in sorted(values.items())}
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            # Kept with the hub's data (its cookie secret and first admin password belong to it).
            "metadata": object_meta(
                hub,
                name=ChildNames(hub.name).secret,
                component="hub",
                owned=hub.spec.storage.delete_user_data_on_hub_delete,
            ),
            "type": "Opaque",
            "data": data,
        }
    ]


def secrets_hash(values: Mapping[str, str]) -> str:
    """Changes exactly when a value changes; reveals nothing of the (random) values."""
    joined = "\n".join(f"{key}={value}" for key, value in sorted(values.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def with_secrets_hash(deployment: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """The Deployment with the Secret's hash on its pod template."""
    rolled = copy.deepcopy(dict(deployment))
    template_meta = rolled["spec"]["template"].setdefault("metadata", {})
    template_meta.setdefault("annotations", {})[SECRETS_HASH_ANNOTATION] = secrets_hash(values)
    return rolled
