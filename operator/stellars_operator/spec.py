"""The StellarsHub spec as typed, frozen data with defaults, plus the checks the CRD cannot make.

Each field of these models is one spec field (its key is the name in camelCase, or
`metadata["key"]`) and `model_reader` reads them all the same way, so a new spec field is one
line here. The defaults are the CRD's structural defaults (tests/unit/operator/test_spec.py
walks `crds/stellarshub.yaml` and these models together), so a spec read before the API server
defaulted it means the same thing as one read after.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kubernetes.utils import parse_quantity

from stellars_hub.contract import (
    DEFAULT_NOTEBOOK_IMAGE,
    DEFAULT_PULL_POLICY,
    DEFAULT_START_TIMEOUT,
    CullingPolicy,
    GpuMode,
    UserStorage,
)
from stellars_hub.json_reader import JsonReader
from stellars_operator.model_reader import read_model
from stellars_operator.spec_lab import (
    HubProcessSpec,
    NetworkSpec,
    UserSpec,
    check_egress,
    check_extra_config,
    check_shm,
    check_user,
)

DEFAULT_HUB_IMAGE = "stellars/stellars-jupyterhub-ds:0.1.0"
# The users' claim sizes: the same defaults as the hub's side of the contract.
_LAB_STORAGE = UserStorage()
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
    # The CRD requires a name; an empty one is reported by `check_hub`, naming the field.
    name: str = ""
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
    home: str = _LAB_STORAGE.home
    workspace: str = _LAB_STORAGE.workspace
    cache: str = _LAB_STORAGE.cache
    hub_data: str = "1Gi"
    shared: SharedVolumeSpec = field(default_factory=SharedVolumeSpec)
    delete_user_data_on_hub_delete: bool = False


@dataclass(frozen=True)
class GpuSpec:
    mode: GpuMode = GpuMode.AUTO
    resource_name: str | None = None
    per_user: int = 1
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    # "auto": spawn profiles generated from the nodes' GPUs; "off": only spec.profiles.
    profiles: str = "auto"


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


@dataclass(frozen=True)
class UserResources(Resources):
    """A lab's resources, plus the size of its /dev/shm (None: half of limits.memory)."""

    shm: str | None = None


USER_RESOURCES = UserResources(
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
    image_pull_policy: str = DEFAULT_PULL_POLICY
    base_url: str = "/jupyterhub"
    admin: AdminSpec = field(default_factory=AdminSpec)
    signup: SignupSpec = field(default_factory=SignupSpec)
    # spec.culling is the contract's own shape: the hub reads it back from settings.json.
    culling: CullingPolicy = field(default_factory=CullingPolicy)
    storage: StorageSpec = field(default_factory=StorageSpec)
    gpu: GpuSpec = field(default_factory=GpuSpec)
    services: ServicesSpec = field(default_factory=ServicesSpec)
    hub_resources: Resources = field(default=HUB_RESOURCES, metadata={"key": "resources.hub"})
    user_resources: UserResources = field(
        default=USER_RESOURCES, metadata={"key": "resources.user"}
    )
    exposure: ExposureSpec = field(default_factory=ExposureSpec)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    start_timeout: int = DEFAULT_START_TIMEOUT
    user: UserSpec = field(default_factory=UserSpec)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    hub: HubProcessSpec = field(default_factory=HubProcessSpec)
    # Read one by one by `stellars_operator.profiles`: a bad entry is left out, not fatal.
    profiles: tuple[Mapping[str, Any], ...] = ()

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


def _spec_error(key: str, value: object, accepts: str) -> SpecError:
    return SpecError(key, f"must be {accepts}")


def parse_spec(raw: Mapping[str, Any]) -> HubSpec:
    """Typed spec from the CR's `spec` dict; missing fields take the models' (CRD's) defaults."""
    return read_model(HubSpec, JsonReader(raw, fail=_spec_error, path="spec"), HubSpec())


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
        if limit <= 0:
            problems.append(SpecError(f"{path}.limits.{key}", "must be more than 0"))
        elif request > limit:
            problems.append(
                SpecError(
                    f"{path}.requests.{key}",
                    f"request {resources.requests[key]} exceeds limit {resources.limits[key]}",
                )
            )
    return problems


def _storage_sizes(storage: StorageSpec) -> list[SpecError]:
    """Sizes a claim could never be made with (the hub would be Ready, every spawn fail)."""
    sizes = {
        "spec.storage.home": storage.home,
        "spec.storage.workspace": storage.workspace,
        "spec.storage.cache": storage.cache,
        "spec.storage.hubData": storage.hub_data,
    }
    if storage.shared.enabled and not storage.shared.existing_claim:
        sizes["spec.storage.shared.size"] = storage.shared.size
    problems = []
    for path, size in sizes.items():
        try:
            positive = quantity(str(size)) > 0
        except ValueError:
            problems.append(SpecError(path, "is not a Kubernetes quantity"))
            continue
        if not positive:
            problems.append(SpecError(path, f"must be more than 0 (is {size})"))
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
    problems += _storage_sizes(spec.storage)
    lab_problems = [
        *check_shm(spec.user_resources.shm, spec.user_resources.limits["memory"]),
        *check_user(spec.user),
        *check_egress(spec.network.egress),
        *check_extra_config(spec.hub.extra_config),
    ]
    problems += [SpecError(where, message) for where, message in lab_problems]
    ingress = spec.exposure.ingress
    if ingress.enabled and not ingress.host:
        problems.append(
            SpecError("spec.exposure.ingress.host", "is required when ingress is enabled")
        )
    ref = spec.admin.password_secret_ref
    if ref is not None and not ref.name:
        problems.append(SpecError("spec.admin.passwordSecretRef.name", "must not be empty"))
    return problems
