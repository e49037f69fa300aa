"""Spawn profiles, the same on both paths: the model, GPU profiles from an inventory, who may
see which, and the check of a user's choice. Pure and standard library only (the operator
imports it too); docs/hub-settings.md, "Spawn profiles".

A profile is one lab shape: an image, resources, GPUs and where they are. The list a user sees
is the CPU profile, the admin's profiles, then one profile per GPU product and count that one
node (Kubernetes) or one device (Docker) can give. A user's choice arrives as `user_options`
(from the form or the REST API) and `choose_profile` is the only gate: a profile the user's
groups do not allow, or more GPUs than the profile has, is refused with a sentence to show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from stellars_hub.json_reader import JsonReader

CPU_SLUG: Final = "cpu"
# The key of the offered list in `gpu.json` (Kubernetes) and the top of the Docker profiles file.
PROFILES_KEY: Final = "profiles"
DEFAULT_GPU_RESOURCE: Final = "nvidia.com/gpu"
# GPU feature discovery's label naming a node's GPU model, e.g. NVIDIA-H200.
PRODUCT_LABEL: Final = "nvidia.com/gpu.product"
MIG_PREFIX: Final = "nvidia.com/mig-"
SLUG: Final = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_NOT_SLUG: Final = re.compile(r"[^a-z0-9]+")


class ProfileError(ValueError):
    """A profile that does not have the documented shape; the message names the key."""


class ProfileRefused(ValueError):  # noqa: N818 - a refusal, shown to the user as it is
    """A user's choice the hub will not start; the message is for the user."""


@dataclass(frozen=True)
class ProfileGpu:
    """The GPUs a profile gives: `count` of `resource`; `device_ids` pins Docker devices."""

    count: int
    resource: str = DEFAULT_GPU_RESOURCE
    product: str | None = None
    device_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"count": self.count, "resource": self.resource}
        if self.product:
            document["product"] = self.product
        if self.device_ids:
            document["deviceIds"] = list(self.device_ids)
        return document

    @classmethod
    def read(cls, reader: JsonReader) -> ProfileGpu:
        return cls(
            count=reader.integer("count", minimum=1),
            resource=reader.text("resource", DEFAULT_GPU_RESOURCE),
            product=reader.optional_text("product"),
            device_ids=reader.texts("deviceIds"),
        )


@dataclass(frozen=True)
class Profile:
    """One lab shape a user may pick; `slug` is its name in forms, the API and the database."""

    slug: str
    display_name: str
    description: str = ""
    default: bool = False
    image: str | None = None
    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)
    gpu: ProfileGpu | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    groups: tuple[str, ...] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def gpus(self) -> int:
        return self.gpu.count if self.gpu else 0

    def allows(self, groups: Iterable[str]) -> bool:
        """No groups: everybody; else a user in at least one of them."""
        return not self.groups or bool(set(self.groups).intersection(groups))

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": self.slug,
            "displayName": self.display_name,
            "description": self.description,
            "default": self.default,
            "resources": {"requests": dict(self.requests), "limits": dict(self.limits)},
            "nodeSelector": dict(self.node_selector),
            "tolerations": [dict(t) for t in self.tolerations],
            "groups": list(self.groups),
            "extraEnv": dict(sorted(self.extra_env.items())),
        }
        if self.image:
            document["image"] = self.image
        if self.gpu:
            document["gpus"] = self.gpu.to_json()
        return document

    @classmethod
    def read(cls, reader: JsonReader) -> Profile:
        slug = reader.text("name")
        if not SLUG.match(slug):
            raise reader.error("name", slug, "a slug: lower-case letters, digits and '-'")
        resources = reader.child("resources")
        return cls(
            slug=slug,
            display_name=reader.optional_text("displayName") or slug,
            description=reader.optional_text("description") or "",
            default=reader.boolean("default", False),
            image=reader.optional_text("image"),
            requests=resources.strings("requests"),
            limits=resources.strings("limits"),
            gpu=ProfileGpu.read(reader.child("gpus")) if reader.has("gpus") else None,
            node_selector=reader.strings("nodeSelector"),
            tolerations=reader.objects("tolerations"),
            groups=reader.texts("groups"),
            extra_env=reader.strings("extraEnv"),
        )


def _fail(key: str, value: Any, accepts: str) -> ProfileError:
    return ProfileError(f"{key}: {json.dumps(value)} is not valid: expected {accepts}")


def read_profile(document: Any, *, source: str) -> Profile:
    """One profile from its JSON object; `ProfileError` names the source and the key."""
    return Profile.read(JsonReader(document, fail=_fail, path=source))


def profiles_to_json(profiles: Sequence[Profile]) -> list[dict[str, Any]]:
    return [profile.to_json() for profile in profiles]


def profiles_from_json(documents: Any, *, source: str) -> tuple[Profile, ...]:
    """The profile list the operator wrote; `ProfileError` on the first bad entry."""
    if not isinstance(documents, list):
        raise ProfileError(f"{source}: profiles must be a list")
    return tuple(
        read_profile(document, source=f"{source}[{index}]")
        for index, document in enumerate(documents)
    )


# --- the list a hub offers -------------------------------------------------------------------


def cpu_profile() -> Profile:
    """Always offered, first: the hub's default lab shape without a GPU."""
    return Profile(
        slug=CPU_SLUG,
        display_name="CPU only",
        description="The default lab, without a GPU.",
        default=True,
    )


def slugify(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-") or "gpu"


def gpu_counts(most: int) -> tuple[int, ...]:
    """The counts offered up to `most` GPUs on one node: 1, 2, 4, ... and `most` itself."""
    counts = []
    count = 1
    while count < most:
        counts.append(count)
        count *= 2
    if most >= 1:
        counts.append(most)
    return tuple(counts)


@dataclass(frozen=True)
class GpuOffer:
    """What the nodes offer of one GPU kind: the most one node has, and how to get there."""

    resource: str
    product: str | None
    most_per_node: int
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_mig(self) -> bool:
        return self.resource.startswith(MIG_PREFIX)

    @property
    def label(self) -> str:
        if self.is_mig:
            return f"MIG {self.resource.removeprefix(MIG_PREFIX)}"
        return (self.product or self.resource).replace("-", " ")


def generate_gpu_profiles(offers: Iterable[GpuOffer]) -> tuple[Profile, ...]:
    """One profile per GPU kind and count (a MIG slice: one per slice type), sorted by name."""
    profiles = []
    for offer in sorted(offers, key=lambda o: (o.is_mig, o.label, o.resource)):
        counts = (1,) if offer.is_mig else gpu_counts(offer.most_per_node)
        for count in counts:
            name = offer.label if offer.is_mig else f"{offer.label} x {count}"
            profiles.append(
                Profile(
                    slug=slugify(name if offer.is_mig else f"{offer.label}-x{count}"),
                    display_name=name,
                    description=f"{count} x {offer.resource}"
                    + (f" on a {offer.product} node" if offer.product else ""),
                    gpu=ProfileGpu(count=count, resource=offer.resource, product=offer.product),
                    node_selector=dict(offer.node_selector),
                    tolerations=offer.tolerations,
                )
            )
    return tuple(profiles)


def offered_profiles(admin: Sequence[Profile], generated: Sequence[Profile]) -> tuple[Profile, ...]:
    """CPU first, then the admin's, then the generated; exactly one default.

    An admin profile named like a generated one wins; the default is the first admin profile
    marked default, else the CPU profile (an admin profile named `cpu` replaces it).
    """
    cpu = next((p for p in admin if p.slug == CPU_SLUG), cpu_profile())
    taken = {CPU_SLUG, *(p.slug for p in admin)}
    ordered = [cpu, *(p for p in admin if p.slug != CPU_SLUG)]
    ordered += [p for p in generated if p.slug not in taken]
    default = next((p.slug for p in admin if p.default), cpu.slug)
    return tuple(replace(p, default=p.slug == default) for p in ordered)


def allowed_profiles(profiles: Sequence[Profile], groups: Iterable[str]) -> tuple[Profile, ...]:
    """The profiles a user in `groups` may see and start, in order."""
    names = set(groups)
    return tuple(p for p in profiles if p.allows(names))


# --- the user's choice ------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What a user starts: the profile, with `gpu.count` already the count asked for."""

    profile: Profile

    @property
    def slug(self) -> str:
        return self.profile.slug


def options_from_form(form: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Form fields -> `user_options`: the profile and, when posted, a GPU count (kept as text
    so the check in `choose_profile` sees exactly what was sent)."""
    options = {}
    for key in ("profile", "gpus"):
        values = form.get(key) or []
        if values and values[0].strip():
            options[key] = values[0].strip()
    return options


def choose_profile(
    allowed: Sequence[Profile], options: Mapping[str, Any], *, last_used: str | None = None
) -> Choice:
    """The profile `options` ask for among those allowed; `ProfileRefused` says why not.

    No profile asked: the one used last when still allowed, else the default.
    """
    if not allowed:
        raise ProfileRefused("No lab profile is available to you; please ask the administrator.")
    asked = options.get("profile")
    if asked is not None and not isinstance(asked, str):
        raise ProfileRefused("The profile must be given by its name.")
    if asked:
        profile = next((p for p in allowed if p.slug == asked), None)
        if profile is None:
            names = ", ".join(p.slug for p in allowed)
            raise ProfileRefused(
                f"The profile {asked!r} is not available to you. Available: {names}."
            )
    else:
        remembered = next((p for p in allowed if p.slug == last_used), None)
        profile = remembered or next((p for p in allowed if p.default), allowed[0])
    return Choice(profile=_with_gpu_count(profile, options.get("gpus")))


def _with_gpu_count(profile: Profile, asked: Any) -> Profile:
    """A GPU count may lower the profile's, never raise it."""
    if asked is None:
        return profile
    try:
        count = int(str(asked))
    except ValueError:
        raise ProfileRefused(f"The GPU count {asked!r} is not a whole number.") from None
    if count < 0 or count > profile.gpus:
        raise ProfileRefused(
            f"The profile {profile.slug!r} gives at most {profile.gpus} GPU(s); "
            f"{count} were asked for."
        )
    if profile.gpu is None or count == profile.gpus:
        return profile
    if count == 0:
        return replace(profile, gpu=None)
    ids = profile.gpu.device_ids[:count]
    return replace(profile, gpu=replace(profile.gpu, count=count, device_ids=ids))


def preselected(allowed: Sequence[Profile], last_used: str | None) -> str | None:
    """The profile the form marks: the last one used while it is still offered, else default."""
    if any(p.slug == last_used for p in allowed):
        return last_used
    return next((p.slug for p in allowed if p.default), allowed[0].slug if allowed else None)
