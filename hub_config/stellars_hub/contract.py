"""The operator -> hub contract: `settings.json` and `gpu.json` as typed data (hub-settings.md).

The operator builds these objects and writes them with `to_json`; the hub reads the files back
with `from_json`. Both sides import this module, so the shape and its defaults are written once.
Standard library only: the operator image installs it without the hub's dependencies.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from stellars_hub.json_reader import Fail, JsonReader

DEFAULT_NOTEBOOK_IMAGE: Final = "stellars/stellars-jupyterlab-ds:latest"
DEFAULT_GPU_RESOURCE: Final = "nvidia.com/gpu"
PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")
DEFAULT_PULL_POLICY: Final = "IfNotPresent"
# Seconds a lab may take to start (the StellarsHub's spec.startTimeout has the same default).
DEFAULT_START_TIMEOUT: Final = 300


class ContractError(ValueError):
    """A contract file that does not have the documented shape; the message names the key."""


class GpuMode(enum.StrEnum):
    """What the admin asked for: never GPUs, always (trusted), or when detection finds them."""

    OFF = "off"
    ON = "on"
    AUTO = "auto"


def _fail(source: str) -> Fail:
    def fail(key: str, value: Any, accepts: str) -> ContractError:
        if not key:
            return ContractError(f"{source}: the document must be a JSON object")
        return ContractError(
            f"{source}: {key}={json.dumps(value)} is not valid: expected {accepts}"
        )

    return fail


def _reader(document: Any, source: str) -> JsonReader:
    return JsonReader(document, fail=_fail(source))


@dataclass(frozen=True)
class SignupPolicy:
    """Who may register: sign-up on, each account approved by the admin (the seed's policy).

    `None` keeps the hub's floor (8, `auth.MINIMUM_PASSWORD_LENGTH`); a smaller value is raised
    to it.
    """

    enabled: bool = True
    open_signup: bool = False
    minimum_password_length: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "openSignup": self.open_signup,
            "minimumPasswordLength": self.minimum_password_length,
        }

    @classmethod
    def read(cls, reader: JsonReader) -> SignupPolicy:
        default = cls()
        return cls(
            enabled=reader.boolean("enabled", default.enabled),
            open_signup=reader.boolean("openSignup", default.open_signup),
            minimum_password_length=reader.optional_integer("minimumPasswordLength", minimum=1),
        )


@dataclass(frozen=True)
class CullingPolicy:
    """Idle culling: stop labs idle for `timeout` seconds, checked every `every` seconds.

    `max_age` > 0 also stops labs that have run that long, busy or not; `users` also deletes
    idle hub users (their accounts and volumes stay). Off unless asked for (both paths).
    """

    enabled: bool = False
    timeout: int = 86400
    every: int = 600
    max_age: int = 0
    users: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "timeout": self.timeout,
            "every": self.every,
            "maxAge": self.max_age,
            "users": self.users,
        }

    @classmethod
    def read(cls, reader: JsonReader) -> CullingPolicy:
        default = cls()
        return cls(
            enabled=reader.boolean("enabled", default.enabled),
            timeout=reader.integer("timeout", default.timeout, minimum=1),
            every=reader.integer("every", default.every, minimum=1),
            max_age=reader.integer("maxAge", default.max_age, minimum=0),
            users=reader.boolean("users", default.users),
        )


@dataclass(frozen=True)
class UserStorage:
    """Sizes of each user's three claims; `storage_class` None means the cluster default.

    These sizes are also the StellarsHub's defaults (spec.storage), and the CRD's.
    """

    storage_class: str | None = None
    home: str = "1Gi"
    workspace: str = "5Gi"
    cache: str = "1Gi"

    def size(self, suffix: str) -> str:
        sizes = {"home": self.home, "workspace": self.workspace, "cache": self.cache}
        return sizes[suffix]

    def to_json(self) -> dict[str, Any]:
        return {
            "storageClass": self.storage_class,
            "home": self.home,
            "workspace": self.workspace,
            "cache": self.cache,
        }

    @classmethod
    def read(cls, reader: JsonReader) -> UserStorage:
        default = cls()
        return cls(
            storage_class=reader.optional_text("storageClass"),
            home=reader.text("home", default.home),
            workspace=reader.text("workspace", default.workspace),
            cache=reader.text("cache", default.cache),
        )


@dataclass(frozen=True)
class LabSettings:
    """`settings.json`: what the operator decided for this hub's labs; read once at start-up."""

    hub_name: str
    notebook_image: str
    user_service_account: str
    image_pull_policy: str = DEFAULT_PULL_POLICY
    storage: UserStorage = UserStorage()
    shared_claim: str | None = None
    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    start_timeout: int = DEFAULT_START_TIMEOUT
    labels: Mapping[str, str] = field(default_factory=dict)
    # /dev/shm of each lab (a Kubernetes quantity); None: the container runtime's small default.
    shm_size: str | None = None
    # Pod volume and volume mount objects, passed to KubeSpawner as they are (checked by the
    # operator against spec.user).
    extra_volumes: tuple[Mapping[str, Any], ...] = ()
    extra_volume_mounts: tuple[Mapping[str, Any], ...] = ()
    signup: SignupPolicy = field(default_factory=SignupPolicy)
    culling: CullingPolicy = field(default_factory=CullingPolicy)
    # The StellarsHub (apiVersion, kind, name, uid): every lab pod names it as its owner, so
    # garbage collection removes a pod the hub leaves behind when it is deleted mid-spawn.
    # Empty: no owner.
    owner: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "hubName": self.hub_name,
            "notebookImage": self.notebook_image,
            "imagePullPolicy": self.image_pull_policy,
            "userServiceAccount": self.user_service_account,
            "storage": self.storage.to_json(),
            "sharedClaim": self.shared_claim,
            "resources": {"requests": dict(self.requests), "limits": dict(self.limits)},
            "extraEnv": dict(sorted(self.extra_env.items())),
            "startTimeout": self.start_timeout,
            "signup": self.signup.to_json(),
            "culling": self.culling.to_json(),
            "labels": dict(self.labels),
            "shmSize": self.shm_size,
            "extraVolumes": [dict(volume) for volume in self.extra_volumes],
            "extraVolumeMounts": [dict(mount) for mount in self.extra_volume_mounts],
            "owner": dict(self.owner),
        }

    @classmethod
    def from_json(cls, document: Any, *, source: str) -> LabSettings:
        """`ContractError` names the source and the first bad key."""
        reader = _reader(document, source)
        resources = reader.child("resources")
        return cls(
            hub_name=reader.text("hubName"),
            notebook_image=reader.text("notebookImage"),
            user_service_account=reader.text("userServiceAccount"),
            image_pull_policy=reader.choice("imagePullPolicy", PULL_POLICIES, DEFAULT_PULL_POLICY),
            storage=UserStorage.read(reader.child("storage")),
            shared_claim=reader.optional_text("sharedClaim"),
            requests=resources.strings("requests"),
            limits=resources.strings("limits"),
            extra_env=reader.strings("extraEnv"),
            start_timeout=reader.integer("startTimeout", DEFAULT_START_TIMEOUT, minimum=1),
            labels=reader.strings("labels"),
            shm_size=reader.optional_text("shmSize"),
            extra_volumes=reader.objects("extraVolumes"),
            extra_volume_mounts=reader.objects("extraVolumeMounts"),
            signup=SignupPolicy.read(reader.child("signup")),
            culling=CullingPolicy.read(reader.child("culling")),
            owner=reader.strings("owner"),
        )


@dataclass(frozen=True)
class GpuPlacement:
    """`gpu.json`, and the Docker probe's outcome: whether labs get GPUs and how they reach them.

    Only an enabled placement requests anything; a disabled one is written with nothing to
    request, whatever its other fields say. `trusted` means "on because the admin said so,
    not because anything saw a GPU" (the lab's NVIDIA_DETECTED stays 0); it is written only
    when true.
    """

    enabled: bool
    reason: str
    resource: str = DEFAULT_GPU_RESOURCE
    count: int = 1
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    trusted: bool = False

    @property
    def detected(self) -> bool:
        """GPUs are on because something saw them (the lab's NVIDIA_DETECTED)."""
        return self.enabled and not self.trusted

    @classmethod
    def disabled(cls, reason: str) -> GpuPlacement:
        return cls(enabled=False, reason=reason)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "enabled": self.enabled,
            "resource": self.resource if self.enabled else None,
            "count": self.count if self.enabled else 0,
            "nodeSelector": dict(self.node_selector) if self.enabled else {},
            "tolerations": [dict(t) for t in self.tolerations] if self.enabled else [],
            "reason": self.reason,
        }
        if self.enabled and self.trusted:
            document["trusted"] = True
        return document

    @classmethod
    def from_json(cls, document: Any, *, source: str) -> GpuPlacement:
        """`ContractError` names the source and the first bad key."""
        reader = _reader(document, source)
        enabled = reader.boolean("enabled")
        reason = reader.text("reason", "enabled" if enabled else "disabled")
        if not enabled:
            return cls.disabled(reason)
        default = cls(enabled=True, reason=reason)
        return cls(
            enabled=True,
            reason=reason,
            resource=reader.text("resource", default.resource),
            count=reader.integer("count", default.count, minimum=1),
            node_selector=reader.strings("nodeSelector"),
            tolerations=reader.objects("tolerations"),
            trusted=reader.boolean("trusted", default.trusted),
        )
