"""contract.py: the GPU vocabulary and the files' shapes (round trips: test_hub_contract.py)."""

from __future__ import annotations

import pytest

from stellars_hub.contract import ContractError, GpuMode, GpuPlacement, LabSettings


def test_gpu_modes_are_the_specs_words() -> None:
    assert [mode.value for mode in GpuMode] == ["off", "on", "auto"]
    assert GpuMode("auto") is GpuMode.AUTO
    assert GpuMode.ON == "on"


def test_a_disabled_placement_requests_nothing_whatever_its_fields_say() -> None:
    placement = GpuPlacement(enabled=False, reason="off", count=4, node_selector={"a": "b"})
    assert placement.to_json() == {
        "enabled": False,
        "resource": None,
        "count": 0,
        "nodeSelector": {},
        "tolerations": [],
        "reason": "off",
    }
    assert not placement.detected


def test_trusted_gpus_are_not_detected_and_written_only_when_true() -> None:
    trusted = GpuPlacement(enabled=True, trusted=True, reason="the admin says so")
    assert trusted.enabled and not trusted.detected
    assert trusted.to_json()["trusted"] is True
    seen = GpuPlacement(enabled=True, reason="1 GPU")
    assert seen.detected
    assert "trusted" not in seen.to_json()


def test_a_bad_file_names_the_source_and_the_key() -> None:
    with pytest.raises(ContractError, match=r"^gpu\.json: count=0 is not valid"):
        GpuPlacement.from_json({"enabled": True, "count": 0}, source="gpu.json")
    with pytest.raises(ContractError, match=r"^s: the document must be a JSON object$"):
        LabSettings.from_json([], source="s")
    with pytest.raises(ContractError, match=r"^s: storage=\"big\" is not valid: expected an obj"):
        LabSettings.from_json(
            {"hubName": "h", "notebookImage": "i", "userServiceAccount": "u", "storage": "big"},
            source="s",
        )


def test_missing_keys_take_the_contracts_defaults() -> None:
    lab = LabSettings.from_json(
        {"hubName": "h", "notebookImage": "i", "userServiceAccount": "u"}, source="s"
    )
    assert lab == LabSettings(hub_name="h", notebook_image="i", user_service_account="u")
    placement = GpuPlacement.from_json({"enabled": True}, source="s")
    assert placement == GpuPlacement(enabled=True, reason="enabled")
