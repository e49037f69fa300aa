"""drift.py: a live child that holds its manifest is not applied again; any difference is."""

from __future__ import annotations

import copy
from typing import Any

from stellars_operator.constants import MANIFEST_HASH_ANNOTATION
from stellars_operator.drift import drifted, holds, manifest_hash, stamp
from tests.unit.operator.conftest import make_hub
from tests.unit.operator.test_render_children import SPECS, render


def config_map(**data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "demo-config", "namespace": "team", "labels": {"a": "b"}},
        "data": data,
    }


def as_served(manifest: dict[str, Any]) -> dict[str, Any]:
    """What the API server answers: the manifest plus its own fields."""
    served = copy.deepcopy(manifest)
    served["metadata"].update(
        resourceVersion="7", uid="x", creationTimestamp="2026-01-01T00:00:00Z"
    )
    served["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "1"
    served["status"] = {"observedGeneration": 1}
    return served


def test_missing_object_is_drifted() -> None:
    assert drifted(stamp(config_map(x="1")), None)


def test_what_the_server_adds_is_no_drift() -> None:
    desired = stamp(config_map(x="1"))
    assert not drifted(desired, as_served(desired))


def test_every_rendered_child_holds_itself_as_served() -> None:
    for spec in SPECS.values():
        for child in render(make_hub(spec)):
            desired = stamp(child)
            assert not drifted(desired, as_served(desired)), child["kind"]


def test_a_changed_or_removed_field_is_drift() -> None:
    desired = stamp(config_map(x="1"))
    edited = as_served(desired)
    edited["data"]["x"] = "2"
    assert drifted(desired, edited)
    unlabelled = as_served(desired)
    del unlabelled["metadata"]["labels"]["a"]
    assert drifted(desired, unlabelled)


def test_a_field_the_operator_stopped_rendering_is_drift_through_the_stamp() -> None:
    before = stamp(config_map(x="1", y="2"))
    after = stamp(config_map(x="1"))
    # the live object holds every field of `after`, but was applied from `before`
    assert drifted(after, as_served(before))


def test_stamp_is_the_hash_of_the_content_and_leaves_the_manifest_alone() -> None:
    manifest = config_map(x="1")
    stamped = stamp(manifest)
    assert stamped["metadata"]["annotations"][MANIFEST_HASH_ANNOTATION] == manifest_hash(manifest)
    assert "annotations" not in manifest["metadata"]
    assert manifest_hash(config_map(x="1")) == manifest_hash(config_map(x="1"))
    assert manifest_hash(config_map(x="1")) != manifest_hash(config_map(x="2"))


def test_secret_values_stay_out_of_the_stamp_but_are_compared() -> None:
    (secret,) = [c for c in render(make_hub()) if c["kind"] == "Secret"]
    other = copy.deepcopy(secret)
    other["data"] = {key: "b3RoZXI=" for key in secret["data"]}
    assert manifest_hash(secret) == manifest_hash(other)
    assert drifted(stamp(other), as_served(stamp(secret)))
    fewer = copy.deepcopy(secret)
    fewer["data"].pop("admin-password")
    assert manifest_hash(fewer) != manifest_hash(secret)


def test_canonical_quantities_and_dropped_empty_values_are_no_drift() -> None:
    assert holds({"cpu": "500m", "memory": "1Gi"}, {"cpu": "0.5", "memory": "1024Mi"})
    assert holds({"a": 1}, {"a": 1, "readOnly": False, "nodeSelector": {}, "args": []})
    assert not holds({"cpu": "500m"}, {"cpu": "1"})
    assert not holds({"image": "a:1"}, {"image": "a:2"})


def test_lists_compare_element_by_element() -> None:
    assert holds([{"name": "a", "x": 1}], [{"name": "a"}])
    assert not holds([{"name": "a"}, {"name": "b"}], [{"name": "a"}])
    assert not holds([{"name": "b"}], [{"name": "a"}])


def test_render_is_stable_so_the_stamp_is() -> None:
    hub = make_hub()
    assert [manifest_hash(c) for c in render(hub)] == [manifest_hash(c) for c in render(hub)]
