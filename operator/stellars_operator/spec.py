"""The StellarsHub spec as typed, frozen data with defaults, plus the checks the CRD cannot make.

The defaults mirror `crds/stellarshub.yaml` (a unit test keeps them in step), so a spec read
before the API server defaulted it means the same thing as one read after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, cast

from kubernetes.utils import parse_quantity

GpuMode = Literal["auto", "on", "off"]

DEFAULT_HUB_IMAGE = "stellars/stellars-jupyterhub-ds:0.1.0"
DEFAULT_NOTEBOOK_IMAGE = "stellars/stellars-jupyterlab-ds:latest"
DEFAULT_GPU_RESOURCE = "nvidia.com/gpu"
# `<hub>-proxy-public` (the longest child Service name) must stay a 63-character DNS label.
MAX_HUB_NAME = 40
_HUB_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


class SpecError(ValueError):
    """A spec the operator cannot serve; `field` is the dotted path a person should fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SecretKeyRef:
    name: str
    key: str = "password"


@dataclass(frozen=True)
class AdminSpec:
    name: str = "admin"
    password_secret_ref: SecretKeyRef | None = None


@dataclass(frozen=True)
class SignupSpec:
    enabled: bool = True
    open_signup: bool = False
    minimum_password_length: int = 8


@dataclass(frozen=True)
class SharedVolumeSpec:
    enabled: bool = False
    size: str = "10Gi"
    storage_class: str | None = None
    access_mode: str = "ReadWriteMany"
    existing_claim: str | None = None


@dataclass(frozen=True)
class StorageSpec:
    storage_class: str | None = None
    home: str = "1Gi"
    workspace: str = "5Gi"
    cache: str = "1Gi"
    hub_data: str = "1Gi"
    shared: SharedVolumeSpec = field(default_factory=SharedVolumeSpec)
    delete_user_data_on_hub_delete: bool = False


@dataclass(frozen=True)
class GpuSpec:
    mode: GpuMode = "auto"
    resource_name: str | None = None
    per_user: int = 1
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class ServicesSpec:
    mlflow: bool = True
    glances: bool = True
    tensorboard: bool = True


@dataclass(frozen=True)
class Resources:
    requests: Mapping[str, str]
    limits: Mapping[str, str]

    def to_manifest(self) -> dict[str, dict[str, str]]:
        return {"requests": dict(self.requests), "limits": dict(self.limits)}


HUB_RESOURCES = Resources(
    requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "1Gi"}
)
USER_RESOURCES = Resources(
    requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "2", "memory": "2Gi"}
)


@dataclass(frozen=True)
class IngressSpec:
    enabled: bool = False
    class_name: str | None = None
    host: str | None = None
    tls_secret_name: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExposureSpec:
    service_type: str = "ClusterIP"
    ingress: IngressSpec = field(default_factory=IngressSpec)


@dataclass(frozen=True)
class HubSpec:
    hub_image: str = DEFAULT_HUB_IMAGE
    notebook_image: str = DEFAULT_NOTEBOOK_IMAGE
    image_pull_policy: str = "IfNotPresent"
    base_url: str = "/jupyterhub"
    admin: AdminSpec = field(default_factory=AdminSpec)
    signup: SignupSpec = field(default_factory=SignupSpec)
    storage: StorageSpec = field(default_factory=StorageSpec)
    gpu: GpuSpec = field(default_factory=GpuSpec)
    services: ServicesSpec = field(default_factory=ServicesSpec)
    hub_resources: Resources = HUB_RESOURCES
    user_resources: Resources = USER_RESOURCES
    exposure: ExposureSpec = field(default_factory=ExposureSpec)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    start_timeout: int = 300

    @property
    def base_path(self) -> str:
        """The base URL without a trailing slash ('' for '/'), ready for `f"{base}/hub/..."`."""
        return self.base_url.rstrip("/")


@dataclass(frozen=True)
class Hub:
    """One StellarsHub: identity (for names and owner references) and its spec."""

    name: str
    namespace: str
    uid: str
    spec: HubSpec
    generation: int = 1


def quantity(value: str) -> Decimal:
    """A Kubernetes quantity ("500m", "2Gi") as a number; ValueError when it is not one."""
    parsed: Decimal = parse_quantity(value)  # type: ignore[no-untyped-call]
    return parsed


# --- reading -------------------------------------------------------------------------------


def _obj(raw: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(f"{path}.{key}", "must be an object")
    return value


def _str(raw: Mapping[str, Any], key: str, path: str, default: str) -> str:
    value = default if raw.get(key) is None else raw[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SpecError(f"{path}.{key}", "must be a string")
    return str(value)


def _opt_str(raw: Mapping[str, Any], key: str, path: str) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    return _str(raw, key, path, "")


def _bool(raw: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = default if raw.get(key) is None else raw[key]
    if not isinstance(value, bool):
        raise SpecError(f"{path}.{key}", "must be true or false")
    return value


def _int(raw: Mapping[str, Any], key: str, path: str, default: int) -> int:
    value = default if raw.get(key) is None else raw[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{path}.{key}", "must be an integer")
    return int(value)


def _str_map(raw: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
    return {
        str(k): _str(_obj(raw, key, path), str(k), f"{path}.{key}", "")
        for k in _obj(raw, key, path)
    }


def _resources(raw: Mapping[str, Any], path: str, default: Resources) -> Resources:
    requests = _obj(raw, "requests", path)
    limits = _obj(raw, "limits", path)
    return Resources(
        requests={
            k: _str(requests, k, f"{path}.requests", default.requests[k]) for k in ("cpu", "memory")
        },
        limits={k: _str(limits, k, f"{path}.limits", default.limits[k]) for k in ("cpu", "memory")},
    )


def parse_spec(raw: Mapping[str, Any]) -> HubSpec:
    """Typed spec from the CR's `spec` dict; missing fields take the CRD's defaults."""
    admin = _obj(raw, "admin", "spec")
    ref = admin.get("passwordSecretRef")
    password_ref = None
    if ref is not None:
        ref_raw = _obj(admin, "passwordSecretRef", "spec.admin")
        password_ref = SecretKeyRef(
            name=_str(ref_raw, "name", "spec.admin.passwordSecretRef", ""),
            key=_str(ref_raw, "key", "spec.admin.passwordSecretRef", "password"),
        )
    signup = _obj(raw, "signup", "spec")
    storage = _obj(raw, "storage", "spec")
    shared = _obj(storage, "shared", "spec.storage")
    gpu = _obj(raw, "gpu", "spec")
    services = _obj(raw, "services", "spec")
    resources = _obj(raw, "resources", "spec")
    exposure = _obj(raw, "exposure", "spec")
    ingress = _obj(exposure, "ingress", "spec.exposure")
    tolerations = gpu.get("tolerations") or []
    if not isinstance(tolerations, list) or not all(isinstance(t, Mapping) for t in tolerations):
        raise SpecError("spec.gpu.tolerations", "must be a list of tolerations")
    mode = _str(gpu, "mode", "spec.gpu", "auto")
    if mode not in ("auto", "on", "off"):
        raise SpecError("spec.gpu.mode", "must be one of auto, on, off")
    return HubSpec(
        hub_image=_str(raw, "hubImage", "spec", DEFAULT_HUB_IMAGE),
        notebook_image=_str(raw, "notebookImage", "spec", DEFAULT_NOTEBOOK_IMAGE),
        image_pull_policy=_str(raw, "imagePullPolicy", "spec", "IfNotPresent"),
        base_url=_str(raw, "baseUrl", "spec", "/jupyterhub"),
        admin=AdminSpec(
            name=_str(admin, "name", "spec.admin", "admin"), password_secret_ref=password_ref
        ),
        signup=SignupSpec(
            enabled=_bool(signup, "enabled", "spec.signup", True),
            open_signup=_bool(signup, "openSignup", "spec.signup", False),
            minimum_password_length=_int(signup, "minimumPasswordLength", "spec.signup", 8),
        ),
        storage=StorageSpec(
            storage_class=_opt_str(storage, "storageClass", "spec.storage"),
            home=_str(storage, "home", "spec.storage", "1Gi"),
            workspace=_str(storage, "workspace", "spec.storage", "5Gi"),
            cache=_str(storage, "cache", "spec.storage", "1Gi"),
            hub_data=_str(storage, "hubData", "spec.storage", "1Gi"),
            shared=SharedVolumeSpec(
                enabled=_bool(shared, "enabled", "spec.storage.shared", False),
                size=_str(shared, "size", "spec.storage.shared", "10Gi"),
                storage_class=_opt_str(shared, "storageClass", "spec.storage.shared"),
                access_mode=_str(shared, "accessMode", "spec.storage.shared", "ReadWriteMany"),
                existing_claim=_opt_str(shared, "existingClaim", "spec.storage.shared"),
            ),
            delete_user_data_on_hub_delete=_bool(
                storage, "deleteUserDataOnHubDelete", "spec.storage", False
            ),
        ),
        gpu=GpuSpec(
            mode=cast(GpuMode, mode),
            resource_name=_opt_str(gpu, "resourceName", "spec.gpu"),
            per_user=_int(gpu, "perUser", "spec.gpu", 1),
            node_selector=_str_map(gpu, "nodeSelector", "spec.gpu"),
            tolerations=tuple(dict(t) for t in tolerations),
        ),
        services=ServicesSpec(
            mlflow=_bool(services, "mlflow", "spec.services", True),
            glances=_bool(services, "glances", "spec.services", True),
            tensorboard=_bool(services, "tensorboard", "spec.services", True),
        ),
        hub_resources=_resources(
            _obj(resources, "hub", "spec.resources"), "spec.resources.hub", HUB_RESOURCES
        ),
        user_resources=_resources(
            _obj(resources, "user", "spec.resources"), "spec.resources.user", USER_RESOURCES
        ),
        exposure=ExposureSpec(
            service_type=_str(exposure, "serviceType", "spec.exposure", "ClusterIP"),
            ingress=IngressSpec(
                enabled=_bool(ingress, "enabled", "spec.exposure.ingress", False),
                class_name=_opt_str(ingress, "className", "spec.exposure.ingress"),
                host=_opt_str(ingress, "host", "spec.exposure.ingress"),
                tls_secret_name=_opt_str(ingress, "tlsSecretName", "spec.exposure.ingress"),
                annotations=_str_map(ingress, "annotations", "spec.exposure.ingress"),
            ),
        ),
        extra_env=_str_map(raw, "extraEnv", "spec"),
        start_timeout=_int(raw, "startTimeout", "spec", 300),
    )


def parse_hub(body: Mapping[str, Any]) -> Hub:
    """Typed hub from a whole StellarsHub object (as kopf or the API returns it)."""
    meta = body.get("metadata") or {}
    return Hub(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        uid=str(meta.get("uid", "")),
        generation=int(meta.get("generation") or 1),
        spec=parse_spec(body.get("spec") or {}),
    )


# --- checks the schema cannot express ------------------------------------------------------


def _quantity_order(resources: Resources, path: str) -> list[SpecError]:
    problems = []
    for key in ("cpu", "memory"):
        try:
            request = quantity(resources.requests[key])
            limit = quantity(resources.limits[key])
        except ValueError:
            problems.append(SpecError(f"{path}.{key}", "is not a Kubernetes quantity"))
            continue
        if request > limit:
            problems.append(
                SpecError(
                    f"{path}.requests.{key}",
                    f"request {resources.requests[key]} exceeds limit {resources.limits[key]}",
                )
            )
    return problems


def check_hub(hub: Hub) -> list[SpecError]:
    """Semantic problems found without the API; empty when the hub can be rendered."""
    problems: list[SpecError] = []
    if len(hub.name) > MAX_HUB_NAME or not _HUB_NAME.match(hub.name):
        problems.append(
            SpecError(
                "metadata.name",
                f"must be a DNS label starting with a letter, at most {MAX_HUB_NAME} characters",
            )
        )
    spec = hub.spec
    if not spec.base_url.startswith("/"):
        problems.append(SpecError("spec.baseUrl", "must start with /"))
    problems += _quantity_order(spec.hub_resources, "spec.resources.hub")
    problems += _quantity_order(spec.user_resources, "spec.resources.user")
    ingress = spec.exposure.ingress
    if ingress.enabled and not ingress.host:
        problems.append(
            SpecError("spec.exposure.ingress.host", "is required when ingress is enabled")
        )
    ref = spec.admin.password_secret_ref
    if ref is not None and not ref.name:
        problems.append(SpecError("spec.admin.passwordSecretRef.name", "must not be empty"))
    return problems
