"""What the operator reads from its own environment (the chart sets each)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

# The ClusterRole holding what KubeSpawner needs (the chart's templates/hub-clusterrole.yaml).
DEFAULT_HUB_CLUSTER_ROLE: Final = "stellars-jupyterhub-hub"


@dataclass(frozen=True)
class OperatorSettings:
    # The operator's own namespace ("" when it runs outside the cluster, as in tests).
    namespace: str = ""
    # The ClusterRole each hub's ServiceAccount is bound to in its namespace: the operator may
    # bind exactly that one (RBAC `bind`), instead of creating Roles it would have to hold.
    hub_cluster_role: str = DEFAULT_HUB_CLUSTER_ROLE

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> OperatorSettings:
        """POD_NAMESPACE (the downward API) and STELLARS_HUB_CLUSTER_ROLE."""
        return cls(
            namespace=environ.get("POD_NAMESPACE", "").strip(),
            hub_cluster_role=environ.get("STELLARS_HUB_CLUSTER_ROLE", "").strip()
            or DEFAULT_HUB_CLUSTER_ROLE,
        )


# An operator outside the cluster with the default ClusterRole name.
DEFAULTS: Final = OperatorSettings()
