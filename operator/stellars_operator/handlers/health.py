"""Liveness: kopf serves `--liveness` and runs these probes; a probe that raises fails it."""

from typing import Any

import kopf


@kopf.on.probe(id="hubs")
def known_hubs(**kwargs: Any) -> int:
    """How many StellarsHubs the operator currently watches."""
    return len(kwargs["hubs"])
