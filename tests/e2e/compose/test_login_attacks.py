"""Attacks on the login, on the real Compose platform: guessing the admin's password neither
succeeds nor locks the admin out (the front door limits each client instead), weak passwords are
refused at sign-up, and an admin name that names a user's account does not make that user admin."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.e2e.compose.lone_hub import LoneHubs
from tests.fixtures.compose_people import ADMIN
from tests.fixtures.docker import INSECURE_OK, ComposeStack, StackFactory, docker
from tests.fixtures.hub_client import HubClient, login_error
from tests.fixtures.polling import wait_for
from tests.fixtures.ports import host_address

pytestmark = [pytest.mark.docker, INSECURE_OK]

# compose/.env's LOGIN_RATE_LIMIT: login posts per minute per client address.
LOGIN_RATE_LIMIT = 20


def from_another_address(url: str) -> str:
    """The same front door reached through this machine's own address instead of localhost:
    Traefik sees another client (Docker's NAT keeps the source; localhost goes through its
    userland proxy)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{host_address()}:{parts.port}"))


def test_guessing_the_admins_password_is_limited_per_client_and_never_locks_the_admin_out(
    compose_stack: ComposeStack,
) -> None:
    attacker = HubClient(from_another_address(compose_stack.url))
    attacker.page("/hub/login")  # the form's _xsrf, as a browser gets it

    def guess(attempt: int) -> int:
        return attacker.http.post(
            f"{attacker.url}/hub/login",
            data={"username": ADMIN, "password": f"guess-{attempt}", "_xsrf": attacker.xsrf},
            allow_redirects=False,
            timeout=60,
        ).status_code

    # All at once, as a scripted attacker does (one by one, the hub's own password hashing is
    # slower than the limit's refill).
    attempts = 3 * LOGIN_RATE_LIMIT
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        answers = list(pool.map(guess, range(attempts)))
    elapsed_s = time.monotonic() - start

    # The hub answers "wrong password" (200) to what the front door lets through, well past
    # NativeAuthenticator's lockout of 5 failures; the rest is refused with 429 before it
    # reaches the hub. Let through: the burst, plus what the rate refills while the attack runs.
    assert set(answers) == {200, 429}, answers
    allowed = LOGIN_RATE_LIMIT + elapsed_s * LOGIN_RATE_LIMIT / 60 + 1
    assert 5 < answers.count(200) <= allowed, (answers, elapsed_s)
    assert not attacker.is_logged_in()
    # The admin, from another address, logs in at once.
    admin = HubClient(compose_stack.url)
    assert admin.log_in(ADMIN, compose_stack.admin_password()).status_code == 302


@pytest.mark.parametrize("password", ["Short7!", "password", "1234567890", "iloveyou"])
def test_sign_up_refuses_short_and_common_passwords(
    compose_stack: ComposeStack,
    compose_stack_factory: StackFactory,
    admin: HubClient,
    password: str,
) -> None:
    name = compose_stack_factory.user_name()
    user = HubClient(compose_stack.url)

    message = user.sign_up(name, password)

    assert "sent to the admin" not in message, message
    assert f"authorize/{name}" not in admin.page("/hub/authorize").text
    refused = user.log_in(name, password)
    assert login_error(refused.text)
    assert not user.is_logged_in()


@pytest.fixture
def hubs(platform_images: None) -> Iterator[LoneHubs]:
    made = LoneHubs(["docker"], socket=Path("/var/run/docker.sock"))
    try:
        yield made
    finally:
        made.close()


def test_an_admin_name_that_names_a_users_account_stops_the_hub(hubs: LoneHubs) -> None:
    data = hubs.volume()
    # Alone on the engine the hub is not `jupyterhub` by DNS: its proxy reaches it on loopback.
    alone = {"STELLARS_HUB_CONNECT_URL": "http://127.0.0.1:8081"}
    first = hubs.run(data_volume=data, JUPYTERHUB_ADMIN_PASSWORD="the-admins-Own-Pass-1", **alone)
    hubs.wait_for_line(first, "admin account 'admin' created")
    address = docker(
        "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", first
    ).stdout.strip()
    mallory = HubClient(f"http://{address}:8000/jupyterhub")
    wait_for(
        lambda: mallory.page("/hub/login").status_code == 200,
        timeout=90,
        what="the hub's login page",
        retry_on=(requests.RequestException,),
    )
    assert "sent to the admin" in mallory.sign_up("mallory", "mallorys-Own-Pass-9")
    hubs.stop(first)

    # The hub's admin name is changed to the user's name (a typo, or talked into it).
    second = hubs.run(data_volume=data, JUPYTERHUB_ADMIN="mallory", **alone)

    line = hubs.wait_for_line(second, "belongs to an account this hub did not create")
    assert "'mallory'" in line
    wait_for(
        lambda: docker("inspect", "-f", "{{.State.Running}}", second).stdout.strip() == "false",
        timeout=60,
        what="the hub to stop",
    )
