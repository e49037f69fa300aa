"""Where a login lands on the Compose platform: the hub's home page, with no lab started, for the
admin too (the browser story is tests/browser/test_landing.py)."""

from __future__ import annotations

import pytest

from tests.fixtures.compose_people import ADMIN
from tests.fixtures.docker import BASE_URL, INSECURE_OK, ComposeStack, docker
from tests.fixtures.hub_client import HubClient

pytestmark = [pytest.mark.docker, INSECURE_OK]


def test_the_admins_login_lands_on_home_and_starts_no_lab(
    compose_stack: ComposeStack, admin: HubClient
) -> None:
    person = HubClient(compose_stack.url)

    response = person.log_in(ADMIN, compose_stack.admin_password())

    assert response.status_code == 302
    assert response.headers["Location"] == f"{BASE_URL}/hub/home"
    home = person.page("/hub/home")
    assert home.status_code == 200
    assert 'id="stellars-authorize-link"' in home.text
    model = admin.api("GET", f"/users/{ADMIN}").json()
    assert model["servers"] == {} and model["pending"] is None
    on_network = docker("ps", "-a", "--filter", f"network={compose_stack.network}")
    assert f"jupyterlab-{ADMIN}" not in on_network.stdout
