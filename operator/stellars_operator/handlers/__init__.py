"""kopf entry points; importing this package registers every handler."""

from stellars_operator.handlers import delete, ensure, health, nodes, startup

__all__ = ["delete", "ensure", "health", "nodes", "startup"]
