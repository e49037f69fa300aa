"""The hub's Secret; the values are generated once by the caller (credentials.py) and passed in."""

import base64
from collections.abc import Mapping
from typing import Any

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
            "metadata": object_meta(hub, name=ChildNames(hub.name).secret, component="hub"),
            "type": "Opaque",
            "data": data,
        }
    ]
