"""The chart's RBAC covers what the operator does, and grants nothing beyond it.

Read from the operator's own code: the kinds its API client touches (kube.RESOURCES), the kinds
it prunes (apply.PRUNABLE_KINDS) and the hub Role it creates (render.rbac.HUB_RULES), which
Kubernetes only lets it create if it holds every permission in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stellars_operator.apply import PRUNABLE_KINDS
from stellars_operator.constants import GROUP, PLURAL
from stellars_operator.kube import RESOURCES
from stellars_operator.render.rbac import HUB_RULES
from tests.chart.chart_render import Rendered, template
from tests.chart.chart_values import OPERATOR

ALL_VERBS = {"get", "list", "watch", "create", "update", "patch", "delete"}
Grants = set[tuple[str, str, str]]  # (apiGroup, resource, verb)


def grants(rules: list[dict[str, Any]]) -> Grants:
    assert all("resourceNames" not in rule for rule in rules)
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


@pytest.fixture(scope="module")
def cluster_wide(helm: Path) -> Rendered:
    return template(helm, {})


@pytest.fixture(scope="module")
def namespaced(helm: Path) -> Rendered:
    return template(helm, {"watchNamespaces": ["team-a"]})


def _cluster_grants(result: Rendered) -> Grants:
    roles = [m for m in result.manifests if m["kind"] == "ClusterRole"]
    return grants([rule for role in roles for rule in role["rules"]])


def _namespaced_grants(result: Rendered) -> Grants:
    role = result.one("Role", OPERATOR)
    return grants(role["rules"])


def test_both_modes_grant_the_same_namespaced_rules(
    cluster_wide: Rendered, namespaced: Rendered
) -> None:
    assert _cluster_grants(cluster_wide) == _cluster_grants(namespaced) | _namespaced_grants(
        namespaced
    )


def test_operator_may_manage_every_namespaced_kind_it_touches(namespaced: Rendered) -> None:
    held = _namespaced_grants(namespaced)
    for (api_version, _kind), (plural, is_namespaced) in RESOURCES.items():
        if not is_namespaced or plural == PLURAL:
            continue
        missing = {v for v in ALL_VERBS if (_group(api_version), plural, v) not in held}
        assert not missing, f"{plural}: the operator lacks {sorted(missing)}"


def test_operator_may_prune_what_it_renders(namespaced: Rendered) -> None:
    held = _namespaced_grants(namespaced)
    for api_version, kind in PRUNABLE_KINDS:
        plural = RESOURCES[(api_version, kind)][0]
        assert (_group(api_version), plural, "delete") in held, kind
        assert (_group(api_version), plural, "list") in held, kind


def test_operator_holds_everything_the_hub_role_grants(namespaced: Rendered) -> None:
    """Kubernetes refuses to create a Role granting what its creator does not hold."""
    missing = grants(HUB_RULES) - _namespaced_grants(namespaced)
    assert not missing, f"the hub's Role grants what the operator lacks: {sorted(missing)}"


def test_cluster_scoped_kinds_are_read_only(namespaced: Rendered) -> None:
    held = _cluster_grants(namespaced)
    for (api_version, _kind), (plural, is_namespaced) in RESOURCES.items():
        if not is_namespaced:
            assert (_group(api_version), plural, "get") in held, plural
    assert {verb for _, _, verb in held} <= {"get", "list", "watch"}
    assert {resource for _, resource, _ in held} == {
        "nodes",
        "storageclasses",
        "customresourcedefinitions",
        "namespaces",
    }


def test_kopf_gets_its_stellarshub_permissions(namespaced: Rendered) -> None:
    held = _namespaced_grants(namespaced)
    for verb in ("get", "list", "watch", "patch", "update"):
        assert (GROUP, PLURAL, verb) in held
    for verb in ("get", "patch", "update"):
        assert (GROUP, f"{PLURAL}/status", verb) in held
    assert ("", "events", "create") in held
    # The operator never creates or deletes hubs: people (or the chart) do.
    assert (GROUP, PLURAL, "create") not in held
    assert (GROUP, PLURAL, "delete") not in held


def test_nothing_beyond_what_the_operator_uses(namespaced: Rendered) -> None:
    used = {
        (_group(api_version), plural)
        for (api_version, _kind), (plural, is_namespaced) in RESOURCES.items()
        if is_namespaced
    }
    used |= {(GROUP, f"{PLURAL}/status"), (GROUP, f"{PLURAL}/finalizers"), ("", "events")}
    held = {(group, resource) for group, resource, _ in _namespaced_grants(namespaced)}
    assert held == used
