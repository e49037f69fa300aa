"""Users' labs on the Compose platform: the container and volumes the seed promised, the lab
reached through Traefik over HTTPS, data that outlives the container, a hub restart that users
do not notice, and a spawn that fails cleanly when the lab image cannot be had."""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.compose_people import User, sign_up_and_approve
from tests.fixtures.docker import (
    DATASET_DIR,
    DATASET_FILE,
    DATASET_TEXT,
    INSECURE_OK,
    SHARED_VOLUME,
    ComposeStack,
    StackFactory,
    docker,
)
from tests.fixtures.hub_client import HubClient

pytestmark = [pytest.mark.docker, INSECURE_OK]


def inspect(container: str) -> dict:
    return json.loads(docker("inspect", container).stdout)[0]


def test_lab_container_runs_on_the_platform_network_with_its_volumes(
    compose_stack: ComposeStack, lab_user: User, lab_dataset: str
) -> None:
    lab = inspect(f"jupyterlab-{lab_user.name}")

    assert lab["State"]["Running"] is True
    assert compose_stack.network in lab["NetworkSettings"]["Networks"]
    mounts = {m["Destination"]: m.get("Name") for m in lab["Mounts"] if m["Type"] == "volume"}
    assert mounts == {
        "/home": f"jupyterlab-{lab_user.name}_home",
        "/home/lab/workspace": f"jupyterlab-{lab_user.name}_workspace",
        "/home/lab/.cache": f"jupyterlab-{lab_user.name}_cache",
        "/mnt/shared": SHARED_VOLUME,
        DATASET_DIR: lab_dataset,
    }
    assert lab["Config"]["WorkingDir"] == "/home/lab/workspace"


def test_lab_has_a_sized_dev_shm_and_the_read_only_data_set(lab_user: User) -> None:
    lab = f"jupyterlab-{lab_user.name}"
    # /dev/shm: half of DOCKER_LAB_MEM_LIMIT (4G) when DOCKER_LAB_SHM_SIZE is empty.
    df = docker("exec", lab, "df", "-k", "/dev/shm").stdout
    assert df.split("\n")[1].split()[1] == str(2 * 1024 * 1024), df
    assert docker("exec", lab, "cat", f"{DATASET_DIR}/{DATASET_FILE}").stdout == DATASET_TEXT
    write = docker("exec", lab, "touch", f"{DATASET_DIR}/mine", check=False)
    assert write.returncode != 0 and "Read-only file system" in write.stderr, write


def test_lab_api_answers_through_traefik_over_https(lab_user: User) -> None:
    status = lab_user.client.lab("GET", lab_user.name, "/api/status")

    assert status.status_code == 200, status.text[:500]
    assert status.url.startswith("https://")
    assert "started" in status.json()
    # Without the user's credentials the lab lets nobody in.
    stranger = HubClient(lab_user.client.url)
    assert stranger.lab("GET", lab_user.name, "/api/status").status_code in (302, 403)


def test_workspace_file_survives_a_server_stop_and_start(lab_user: User) -> None:
    client, name = lab_user.client, lab_user.name
    body = {"type": "file", "format": "text", "content": "still here"}
    written = client.lab("PUT", name, "/api/contents/persist.txt", json=body)
    assert written.status_code in (200, 201), written.text[:500]
    in_container = docker("exec", f"jupyterlab-{name}", "cat", "/home/lab/workspace/persist.txt")
    assert in_container.stdout == "still here"

    client.stop_server(name)
    assert docker("ps", "-aq", "--filter", f"name=^jupyterlab-{name}$").stdout.strip() == ""
    client.start_server(name)

    read = client.lab("GET", name, "/api/contents/persist.txt")
    assert read.status_code == 200, read.text[:500]
    assert read.json()["content"] == "still here"


def test_spawn_with_a_missing_image_fails_visibly_and_leaves_no_container(
    compose_stack_factory: StackFactory,
) -> None:
    image = f"stellars/e2e-no-such-lab:{compose_stack_factory.session}"
    stack = compose_stack_factory(DOCKER_NOTEBOOK_IMAGE=image)
    admin = HubClient(stack.url)
    assert admin.log_in("admin", stack.admin_password()).status_code == 302
    user = sign_up_and_approve(stack, admin, compose_stack_factory.user_name())

    user.client.page("/hub/spawn")  # what the "Start My Server" button does
    deadline = time.monotonic() + 120
    page = ""
    while time.monotonic() < deadline:
        page = user.client.page(f"/hub/spawn-pending/{user.name}").text
        if "Spawn failed" in page:
            break
        time.sleep(2)

    assert "Spawn failed" in page, page[-2000:]
    assert image in page
    assert docker("ps", "-aq", "--filter", f"name=^jupyterlab-{user.name}$").stdout.strip() == ""
    stack.remove()


def test_hub_restart_keeps_users_logged_in_and_labs_reachable(
    compose_stack: ComposeStack, lab_user: User
) -> None:
    lab_before = inspect(f"jupyterlab-{lab_user.name}")["Id"]

    compose_stack.compose("restart", "jupyterhub")
    compose_stack.wait_until_healthy()

    assert lab_user.client.is_logged_in()
    status = lab_user.client.lab("GET", lab_user.name, "/api/status")
    assert status.status_code == 200, status.text[:500]
    assert inspect(f"jupyterlab-{lab_user.name}")["Id"] == lab_before
