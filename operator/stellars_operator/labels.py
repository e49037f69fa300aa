"""Label keys and child names, all derived from the StellarsHub name (docs/hub-settings.md)."""

from typing import Final, Literal

NAME_KEY: Final = "app.kubernetes.io/name"
INSTANCE_KEY: Final = "app.kubernetes.io/instance"
COMPONENT_KEY: Final = "app.kubernetes.io/component"
MANAGED_BY_KEY: Final = "app.kubernetes.io/managed-by"
PART_OF_KEY: Final = "app.kubernetes.io/part-of"

APP_NAME: Final = "stellars-jupyterhub"
MANAGED_BY: Final = "stellars-operator"
PART_OF: Final = "stellars-jupyterhub-ds"

Component = Literal["hub", "proxy", "singleuser"]


def standard_labels(hub_name: str, component: Component) -> dict[str, str]:
    """The five labels every object of a hub carries (docs/architecture.md, "Names and labels")."""
    return {
        NAME_KEY: APP_NAME,
        INSTANCE_KEY: hub_name,
        COMPONENT_KEY: component,
        MANAGED_BY_KEY: MANAGED_BY,
        PART_OF_KEY: PART_OF,
    }


def selector_labels(hub_name: str, component: Component) -> dict[str, str]:
    """The stable subset used in selectors (never changes for the life of a Deployment)."""
    return {NAME_KEY: APP_NAME, INSTANCE_KEY: hub_name, COMPONENT_KEY: component}


def children_selector(hub_name: str) -> str:
    """Label selector that finds everything the operator manages for one hub."""
    return f"{INSTANCE_KEY}={hub_name},{MANAGED_BY_KEY}={MANAGED_BY}"


def user_selector(hub_name: str) -> str:
    """Label selector for the hub's user pods and user PVCs."""
    return f"{children_selector(hub_name)},{COMPONENT_KEY}=singleuser"


class ChildNames:
    """Names of one hub's children; several hubs in a namespace never collide."""

    def __init__(self, hub_name: str) -> None:
        self.hub_name = hub_name

    @property
    def hub(self) -> str:
        """Hub ServiceAccount, Role, RoleBinding, Deployment, Service, NetworkPolicy."""
        return f"{self.hub_name}-hub"

    @property
    def user_service_account(self) -> str:
        return f"{self.hub_name}-user"

    @property
    def secret(self) -> str:
        return f"{self.hub_name}-secrets"

    @property
    def config(self) -> str:
        return f"{self.hub_name}-config"

    @property
    def gpu_config(self) -> str:
        return f"{self.hub_name}-gpu"

    @property
    def hub_data(self) -> str:
        return f"{self.hub_name}-hub-data"

    @property
    def proxy(self) -> str:
        return f"{self.hub_name}-proxy"

    @property
    def proxy_api(self) -> str:
        return f"{self.hub_name}-proxy-api"

    @property
    def proxy_public(self) -> str:
        return f"{self.hub_name}-proxy-public"

    @property
    def ingress(self) -> str:
        return self.hub_name

    @property
    def singleuser_policy(self) -> str:
        return f"{self.hub_name}-singleuser"

    @property
    def shared(self) -> str:
        return f"{self.hub_name}-shared"
