"""compose/lab-image.sh, which picks the lab image `make up` hands the hub: the one the settings
name when it is here, else the project's data-science lab in place of the original default
(no registry: STELLARS_OFFLINE=1, so the tests never ask one)."""

from __future__ import annotations

import pytest

from tests.fixtures.docker import DS_LAB_IMAGE, LAB_IMAGE, ORIGINAL_LAB_IMAGE, docker
from tests.fixtures.front_door_scripts import run_script

pytestmark = pytest.mark.docker
OFFLINE = {"STELLARS_OFFLINE": "1"}


def test_an_image_that_is_here_is_used_as_it_is(docker_engine: None) -> None:
    result = run_script("lab-image.sh", OFFLINE, LAB_IMAGE)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == (f"{LAB_IMAGE}\n", "")


def test_the_original_lab_offline_is_replaced_by_ours_in_one_line(docker_engine: None) -> None:
    if docker("image", "inspect", ORIGINAL_LAB_IMAGE, check=False).returncode == 0:
        pytest.fail(f"{ORIGINAL_LAB_IMAGE} is on this engine: this test needs it absent")
    result = run_script("lab-image.sh", OFFLINE, ORIGINAL_LAB_IMAGE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{DS_LAB_IMAGE}\n"
    said = [line for line in result.stderr.splitlines() if line.startswith("up: ")]
    assert said == [
        f"up: {ORIGINAL_LAB_IMAGE} cannot be pulled here; labs run the project's data-science "
        f"lab {DS_LAB_IMAGE} (images/lab)"
    ]


def test_another_missing_image_is_kept_with_a_warning(docker_engine: None) -> None:
    missing = "stellars/no-such-lab:0.0.0"
    result = run_script("lab-image.sh", OFFLINE, missing)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{missing}\n"
    assert "neither here nor pullable" in result.stderr
