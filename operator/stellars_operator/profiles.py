"""A hub's spawn profiles on Kubernetes: its spec and the GPU nodes in, the offered list out. Pure.

The model and the rules shared with the Docker path are `stellars_hub.profiles`; this module
turns Nodes into `GpuOffer`s (one per GPU kind, pinned by product label, with the tolerations
its nodes' taints need) and `spec.profiles` into `Profile`s. A bad admin profile is left out
and reported with its field named; the others are still offered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stellars_hub.contract import DEFAULT_GPU_RESOURCE, GpuMode
from stellars_hub.profiles import (
    GpuOffer,
    Profile,
    ProfileError,
    ProfileGpu,
    generate_gpu_profiles,
    offered_profiles,
    read_profile,
)
from stellars_operator.gpu import PRODUCT_LABELS, NodeGpu, tolerations_for
from stellars_operator.spec import GpuSpec, HubSpec, Resources, quantity


@dataclass(frozen=True)
class HubProfiles:
    """What the hub offers (empty: no profiles, every lab gets the GPU placement) and why not
    more (`problems`, each starting with the spec field)."""

    profiles: tuple[Profile, ...] = ()
    problems: tuple[str, ...] = ()


def _product_label(node: NodeGpu) -> tuple[str, str] | None:
    return next(((key, node.labels[key]) for key in PRODUCT_LABELS if node.labels.get(key)), None)


def gpu_offers(nodes: Sequence[NodeGpu], gpu: GpuSpec) -> tuple[GpuOffer, ...]:
    """One offer per (resource, product) that a Ready, schedulable, matching node has."""
    grouped: dict[tuple[str, str | None], list[tuple[NodeGpu, int]]] = {}
    for node in nodes:
        if not node.counts or any(node.labels.get(k) != v for k, v in gpu.node_selector.items()):
            continue
        for resource, count in node.resources.items():
            if gpu.resource_name and resource != gpu.resource_name:
                continue
            grouped.setdefault((resource, node.product), []).append((node, count))
    offers = []
    for (resource, product), hosts in grouped.items():
        selector = dict(gpu.node_selector)
        pinned = _product_label(hosts[0][0])
        if pinned:
            selector[pinned[0]] = pinned[1]
        from_taints = tolerations_for(t for node, _ in hosts for t in node.taints)
        offers.append(
            GpuOffer(
                resource=resource,
                product=product,
                most_per_node=max(count for _, count in hosts),
                node_selector=selector,
                tolerations=(
                    *gpu.tolerations,
                    *(t for t in from_taints if t not in gpu.tolerations),
                ),
            )
        )
    return tuple(offers)


# What a profile may size; any other resource name would make every spawn of it fail.
PROFILE_RESOURCES = ("cpu", "memory")


def _check_resources(profile: Profile, *, path: str, user: Resources) -> None:
    """The lab's requests and limits (the profile's over spec.resources.user) as the API server
    will check them at spawn: known names, quantities, limits above 0, requests within limits."""
    for section, values in (("requests", profile.requests), ("limits", profile.limits)):
        for key in values:
            if key not in PROFILE_RESOURCES:
                raise ProfileError(f"{path}.resources.{section}.{key}: only cpu and memory")
    requests = {**user.requests, **profile.requests}
    limits = {**user.limits, **profile.limits}
    for key in PROFILE_RESOURCES:
        try:
            request = quantity(requests[key]) if key in requests else None
            limit = quantity(limits[key]) if key in limits else None
        except ValueError:
            raise ProfileError(f"{path}.resources: {key} is not a Kubernetes quantity") from None
        if limit is not None and limit <= 0:
            raise ProfileError(f"{path}.resources.limits.{key}: must be more than 0")
        if request is not None and limit is not None and request > limit:
            where = "spec.resources.user" if key not in profile.limits else "the profile"
            raise ProfileError(
                f"{path}.resources.requests.{key}: request {requests[key]} exceeds the limit "
                f"{limits[key]} (from {where})"
            )


TOLERATION_FIELDS = ("key", "operator", "value", "effect", "tolerationSeconds")
TOLERATION_EFFECTS = ("", "NoSchedule", "PreferNoSchedule", "NoExecute")


def _toleration_problem(toleration: Mapping[str, Any]) -> str | None:
    """What the API server would refuse in this pod toleration (at every spawn), if anything."""
    unknown = sorted(set(toleration) - set(TOLERATION_FIELDS))
    operator = toleration.get("operator", "Equal")
    if unknown:
        return f"unknown field {unknown[0]} (a toleration has {', '.join(TOLERATION_FIELDS)})"
    if operator not in ("Exists", "Equal"):
        return f"operator {operator!r} is neither Exists nor Equal"
    if toleration.get("effect", "") not in TOLERATION_EFFECTS:
        return f"effect {toleration['effect']!r} is none of {', '.join(TOLERATION_EFFECTS[1:])}"
    if operator == "Equal" and not toleration.get("key"):
        return "operator Equal needs a key"
    if operator == "Exists" and toleration.get("value"):
        return "operator Exists takes no value"
    seconds = toleration.get("tolerationSeconds")
    if seconds is not None and toleration.get("effect") != "NoExecute":
        return "tolerationSeconds needs effect NoExecute"
    return None


def _check_tolerations(profile: Profile, *, path: str) -> None:
    for index, toleration in enumerate(profile.tolerations):
        problem = _toleration_problem(toleration)
        if problem:
            raise ProfileError(f"{path}.tolerations[{index}]: {problem}")


def _admin_profile(
    raw: Mapping[str, Any],
    *,
    path: str,
    gpu: GpuSpec,
    offers: Sequence[GpuOffer],
    user: Resources,
) -> Profile:
    """One `spec.profiles[i]` as a Profile; ProfileError names the field."""
    count = raw.get("gpus") or 0
    product = raw.get("gpuProduct")
    document = {key: value for key, value in raw.items() if key not in ("gpus", "gpuProduct")}
    profile = read_profile(document, source=path)
    _check_resources(profile, path=path, user=user)
    _check_tolerations(profile, path=path)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ProfileError(f"{path}.gpus: must be a whole number of at least 0")
    if product and not count:
        raise ProfileError(f"{path}.gpuProduct: needs gpus above 0")
    if not count:
        return profile
    if gpu.mode == GpuMode.OFF:
        raise ProfileError(f"{path}.gpus: GPU mode is off")
    resource = gpu.resource_name or DEFAULT_GPU_RESOURCE
    selector = {**gpu.node_selector, **profile.node_selector}
    tolerations: tuple[Mapping[str, Any], ...] = (*gpu.tolerations, *profile.tolerations)
    if product:
        offer = next((o for o in offers if o.product == product and o.resource == resource), None)
        if offer is None:
            known = ", ".join(sorted({o.product for o in offers if o.product})) or "none"
            raise ProfileError(
                f"{path}.gpuProduct: no Ready node offers {resource} of product {product!r} "
                f"(products seen: {known})"
            )
        selector = {**offer.node_selector, **profile.node_selector}
        tolerations = (*offer.tolerations, *profile.tolerations)
    return Profile(
        **{
            **profile.__dict__,
            "gpu": ProfileGpu(count=count, resource=resource, product=product),
            "node_selector": selector,
            "tolerations": tolerations,
        }
    )


def hub_profiles(spec: HubSpec, nodes: Sequence[NodeGpu]) -> HubProfiles:
    """The offered list: CPU, the admin's valid profiles, then the generated GPU profiles."""
    gpu = spec.gpu
    offers = gpu_offers(nodes, gpu) if gpu.mode != GpuMode.OFF else ()
    admin: list[Profile] = []
    problems: list[str] = []
    for index, raw in enumerate(spec.profiles):
        path = f"spec.profiles[{index}]"
        try:
            profile = _admin_profile(
                raw, path=path, gpu=gpu, offers=offers, user=spec.user_resources
            )
        except ProfileError as error:
            problems.append(str(error))
            continue
        if any(p.slug == profile.slug for p in admin):
            problems.append(f"{path}.name: {profile.slug!r} is used by an earlier profile")
            continue
        admin.append(profile)
    generated = generate_gpu_profiles(offers) if gpu.profiles == "auto" else ()
    if not admin and not generated:
        return HubProfiles(problems=tuple(problems))
    return HubProfiles(profiles=offered_profiles(admin, generated), problems=tuple(problems))


def profiles_status(profiles: HubProfiles) -> dict[str, Any]:
    """`status.gpu.profiles` and `profileProblems`: short, for `kubectl get -o yaml`."""
    return {
        "profiles": [
            {
                "name": p.slug,
                "displayName": p.display_name,
                "gpus": p.gpus,
                "groups": list(p.groups),
            }
            for p in profiles.profiles
        ],
        "profileProblems": list(profiles.problems),
    }
