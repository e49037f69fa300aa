"""kopf entry points; importing this package registers every handler."""

from stellars_operator.handlers import (
    children,
    delete,
    ensure,
    health,
    indexes,
    nodes,
    startup,
)

__all__ = ["children", "delete", "ensure", "health", "indexes", "nodes", "startup"]
