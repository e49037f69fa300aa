"""Labs on a leash, on the Compose platform: a lab that eats past its memory limit is killed
while the hub and the other labs keep answering; labs run without capabilities or new
privileges; an idle lab is stopped by the culler (volumes kept) while a lab whose kernel is busy
and a lab someone is using are kept.

One stack with small limits and a short culler (timeout 45 s, a check every 5 s) serves the
module: the culling test waits about a timeout and two checks, by nature."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.fixtures.compose_people import ADMIN, User, sign_up_and_approve
from tests.fixtures.docker import INSECURE_OK, ComposeStack, StackFactory, docker
from tests.fixtures.hub_client import HubClient
from tests.fixtures.lab_kernel import execute_in_background, start_kernel
from tests.fixtures.polling import wait_for

pytestmark = [pytest.mark.docker, INSECURE_OK]

LAB_MEMORY = 384 * 1024**2
LAB_PIDS = 512
CULL_TIMEOUT_S = 45
CULL_EVERY_S = 5
# A computation that prints as it goes: its output is the kernel activity the lab reports.
LONG_LOOP = (
    "import time\nfor i in range(10_000):\n    print('step', i, flush=True)\n    time.sleep(5)\n"
)


@pytest.fixture(scope="module")
def leashed_stack(compose_stack_factory: StackFactory) -> ComposeStack:
    return compose_stack_factory(
        DOCKER_LAB_MEM_LIMIT="384M",
        DOCKER_LAB_CPU_LIMIT="1",
        DOCKER_LAB_PIDS_LIMIT=str(LAB_PIDS),
        IDLE_CULLER_ENABLED="1",
        IDLE_CULLER_TIMEOUT=str(CULL_TIMEOUT_S),
        IDLE_CULLER_CULL_EVERY=str(CULL_EVERY_S),
    )


@pytest.fixture(scope="module")
def leashed_admin(leashed_stack: ComposeStack) -> HubClient:
    client = HubClient(leashed_stack.url)
    assert client.log_in(ADMIN, leashed_stack.admin_password()).status_code == 302
    client.create_token(ADMIN)
    return client


@pytest.fixture
def two_labs(
    leashed_stack: ComposeStack, compose_stack_factory: StackFactory, leashed_admin: HubClient
) -> Iterator[tuple[User, User]]:
    users = []
    for _ in range(2):
        user = sign_up_and_approve(leashed_stack, leashed_admin, compose_stack_factory.user_name())
        user.client.start_server(user.name)
        users.append(user)
    yield users[0], users[1]
    for user in users:
        user.client.stop_server(user.name)


def host_config(container: str) -> dict:
    return json.loads(docker("inspect", "-f", "{{json .HostConfig}}", container).stdout)


def process_status(container: str, field: str) -> str:
    status = docker("exec", container, "cat", "/proc/1/status").stdout
    [line] = [line for line in status.splitlines() if line.startswith(f"{field}:")]
    return line.split(":", 1)[1].strip()


def lab_answers(user: User) -> bool:
    return user.client.lab("GET", user.name, "/api/status").status_code == 200


def test_a_lab_past_its_memory_is_killed_and_everyone_else_keeps_answering(
    leashed_stack: ComposeStack, two_labs: tuple[User, User]
) -> None:
    glutton, neighbour = two_labs
    lab = f"jupyterlab-{glutton.name}"
    config = host_config(lab)
    assert (config["Memory"], config["MemorySwap"]) == (LAB_MEMORY, LAB_MEMORY)
    assert config["PidsLimit"] == LAB_PIDS
    assert config["NanoCpus"] == 10**9 or config["CpuQuota"] == config["CpuPeriod"]
    assert config["CapDrop"] == ["ALL"] and not config["CapAdd"]
    assert config["SecurityOpt"] == ["no-new-privileges"]
    # The lab server itself runs with no capability and can never gain one.
    assert process_status(lab, "CapEff") == "0000000000000000"
    assert process_status(lab, "NoNewPrivs") == "1"

    grow = "chunks = []\nwhile True:\n    chunks.append(b'x' * (16 << 20))\n"
    since = str(int(time.time()))
    eaten = docker("exec", lab, "python3", "-c", grow, check=False, timeout=120)

    assert eaten.returncode == 137, f"not killed: rc={eaten.returncode} {eaten.stderr[-500:]}"
    # The engine saw the kernel's OOM killer act in this lab (cgroup v1 or v2 alike).
    until = str(int(time.time()) + 1)
    oom = docker(
        "events",
        "--since",
        since,
        "--until",
        until,
        "--filter",
        f"container={lab}",
        "--filter",
        "event=oom",
        "--format",
        "{{.Status}}",
    ).stdout.split()
    assert oom and set(oom) == {"oom"}, oom
    assert HubClient(leashed_stack.url).page("/hub/health").status_code == 200
    assert lab_answers(neighbour)
    assert lab_answers(glutton), "the lab server went down with its runaway process"


def test_idle_labs_are_culled_and_busy_or_used_labs_are_kept(
    leashed_stack: ComposeStack, compose_stack_factory: StackFactory, leashed_admin: HubClient
) -> None:
    idle, busy, used = (
        sign_up_and_approve(leashed_stack, leashed_admin, compose_stack_factory.user_name())
        for _ in range(3)
    )
    # All three spawn at once; the hub starts them side by side.
    for user in (idle, busy, used):
        assert user.client.api("POST", f"/users/{user.name}/server").status_code in (201, 202)
    for user in (idle, busy, used):
        user.client.wait_server(user.name, ready=True, timeout_s=180)
    lab_url = f"{leashed_stack.url}/user/{busy.name}"
    kernel = start_kernel(lab_url, busy.client.token)
    assert execute_in_background(lab_url, busy.client.token, kernel, LONG_LOOP).startswith("step")
    started = time.monotonic()

    def idle_lab_is_gone() -> bool:
        # Someone works in the third lab meanwhile: opens a file listing now and then.
        assert used.client.lab("GET", used.name, "/api/contents").status_code == 200
        return not leashed_admin.api("GET", f"/users/{idle.name}").json()["servers"]

    wait_for(
        idle_lab_is_gone,
        timeout=CULL_TIMEOUT_S * 3,
        interval=5,
        what=f"the culler to stop {idle.name}'s idle lab",
    )
    # Two more checks of the culler past the timeout, counted from the busy lab's start.
    while time.monotonic() - started < CULL_TIMEOUT_S + 2 * CULL_EVERY_S:
        assert used.client.lab("GET", used.name, "/api/contents").status_code == 200
        time.sleep(5)

    assert docker("ps", "-aq", "--filter", f"name=^jupyterlab-{idle.name}$").stdout.strip() == ""
    volumes = docker("volume", "ls", "-q", "--filter", f"name=jupyterlab-{idle.name}_").stdout
    assert sorted(volumes.split()) == [
        f"jupyterlab-{idle.name}_{suffix}" for suffix in ("cache", "home", "workspace")
    ]
    for user in (busy, used):
        server = leashed_admin.api("GET", f"/users/{user.name}").json()["servers"].get("")
        assert server and server["ready"], f"{user.name}'s lab was culled"
    # The culler said why, in the hub's log (it runs as the hub's service).
    logs = leashed_stack.logs("jupyterhub", tail=400)
    assert f"Culling server {idle.name} (inactive for" in logs, logs[-2000:]
    assert f"Culling server {busy.name}" not in logs
    for user in (busy, used):
        user.client.stop_server(user.name)
