"""Issue 13, items 3 and 4 on Compose: nobody mounts a user volume that is not their account's.

Each user volume carries a stamp (Docker labels: user, account, the hub's account database); the
hub checks it before any container mounts the volume. The attacks: a look-alike name at sign-up;
a volume under the attacker's name that is the victim's (what a colliding name finds); a volume
left by an earlier account of the same name (the hub re-installed, or the account re-made). The
last one is the admin's to give, with the documented command.
"""

from __future__ import annotations

import json

from stellars_hub.lab import LAB_GID, LAB_UID
from stellars_hub.volume_owner import ACCOUNT_KEY, HUB_DATA_KEY, OWNER_KEY
from tests.fixtures.compose_people import User, sign_up_and_approve
from tests.fixtures.docker import HUB_IMAGE, ComposeStack, StackFactory, docker
from tests.fixtures.hub_client import HubClient
from tests.fixtures.spawn_refusal import refused_start

ADOPT = "python -m stellars_hub.account_record adopt"


def volume_labels(name: str) -> dict[str, str] | None:
    found = docker("volume", "inspect", "-f", "{{json .Labels}}", name, check=False)
    return (json.loads(found.stdout) or {}) if found.returncode == 0 else None


def make_volume(name: str, labels: dict[str, str], *, file: str, text: str) -> None:
    """A volume made by hand, with these labels and one file the lab user may read."""
    docker("volume", "create", *(f"--label={k}={v}" for k, v in labels.items()), name)
    docker(
        "run", "--rm", "--network=none", "--user=0", "-v", f"{name}:/v", "--entrypoint=sh",
        HUB_IMAGE, "-c", f"printf '{text}' > /v/{file} && chown -R {LAB_UID}:{LAB_GID} /v",
    )  # fmt: skip


def test_sign_up_refuses_invisible_and_look_alike_names_saying_what_is_allowed(
    compose_stack: ComposeStack, compose_stack_factory: StackFactory
) -> None:
    base = compose_stack_factory.user_name()
    for crafted, said in (
        (f"{base[:2]}\u200b{base[2:]}", "invisible characters (U+200B ZERO WIDTH SPACE)"),
        (f"\u0430{base}", "(U+0430 CYRILLIC SMALL LETTER A); some look like ASCII letters"),
    ):
        client = HubClient(compose_stack.url)
        message = client.sign_up(crafted, "a-Correct-Horse-9")
        assert said in message and "Allowed: lowercase letters a-z" in message, message
        assert client.log_in(crafted, "a-Correct-Horse-9").status_code != 302


def test_nobody_mounts_a_volume_stamped_for_another_user_or_an_earlier_account(
    compose_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    admin: HubClient,
    lab_user: User,
) -> None:
    record = json.loads(
        compose_stack.compose("exec", "-T", "jupyterhub", "cat", "/data/volume-owners.json").stdout
    )
    # The lab user's volumes carry its stamp.
    victim = volume_labels(f"jupyterlab-{lab_user.name}_home")
    assert victim is not None
    assert victim[OWNER_KEY] == lab_user.name and victim[HUB_DATA_KEY] == record["hub_data"]

    # Takeover: the victim's volume under the attacker's volume name, as a name whose derived
    # volume name collides would find it. The attacker's start is refused; nothing is mounted.
    mallory = sign_up_and_approve(compose_stack, admin, compose_stack_factory.user_name())
    make_volume(f"jupyterlab-{mallory.name}_home", victim, file="secret.txt", text="victim")
    message = refused_start(mallory.client, mallory.name)
    assert (
        f"Your volume jupyterlab-{mallory.name}_home was not mounted: it belongs to the user "
        f"'{lab_user.name}'" in message
    ), message
    assert ADOPT not in message
    assert docker("ps", "-aq", "--filter", f"name=jupyterlab-{mallory.name}").stdout.strip() == ""
    assert volume_labels(f"jupyterlab-{mallory.name}_workspace") is None

    # An earlier account's volume under this name (a re-install, a re-made account): refused,
    # naming the admin's command; once the admin adopts it, the new account finds the files.
    carol = sign_up_and_approve(compose_stack, admin, compose_stack_factory.user_name())
    earlier = {
        OWNER_KEY: carol.name,
        ACCOUNT_KEY: "2000-01-01T00:00:00.000000",
        HUB_DATA_KEY: record["hub_data"],
    }
    make_volume(f"jupyterlab-{carol.name}_workspace", earlier, file="old.txt", text="mine\n")
    message = refused_start(carol.client, carol.name)
    assert "an earlier account of that name made it (created 2000-01-01T00:00:00.000000)" in message
    assert f"docker compose exec jupyterhub {ADOPT} {carol.name}" in message, message

    # An unstamped volume (from before the stamp) is not a newer account's either.
    dave = sign_up_and_approve(compose_stack, admin, compose_stack_factory.user_name())
    docker("volume", "create", f"jupyterlab-{dave.name}_home")
    message = refused_start(dave.client, dave.name)
    assert "it predates this account" in message and f"{ADOPT} {dave.name}" in message, message

    adopted = compose_stack.compose("exec", "-T", "jupyterhub", *ADOPT.split(), carol.name)
    assert "now belong to its account created" in adopted.stdout, adopted.stdout
    carol.client.start_server(carol.name)
    read = carol.client.lab("GET", carol.name, "/api/contents/old.txt?content=1&type=file")
    assert read.status_code == 200 and read.json()["content"] == "mine\n", read.text
    carol.client.stop_server(carol.name)
