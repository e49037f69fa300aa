"""Accounts on the Compose platform: the admin the hub made, sign-up with admin approval, and
no way to become admin by registering the admin's name."""

from __future__ import annotations

import pytest

from tests.fixtures.compose_people import ADMIN
from tests.fixtures.docker import INSECURE_OK, ComposeStack, StackFactory
from tests.fixtures.hub_client import HubClient, login_error

pytestmark = [pytest.mark.docker, INSECURE_OK]


def test_registering_the_admin_name_on_a_fresh_stack_makes_nobody_admin(
    compose_stack: ComposeStack,
) -> None:
    squatter = HubClient(compose_stack.url)
    squatter.sign_up(ADMIN, "squatters-Own-Pass-123")

    refused = squatter.log_in(ADMIN, "squatters-Own-Pass-123")

    assert refused.status_code == 200, "the squatter's password let them in as the admin"
    assert login_error(refused.text)
    assert not squatter.is_logged_in()


def test_admin_logs_in_with_the_bootstrapped_password(
    compose_stack: ComposeStack, admin: HubClient
) -> None:
    me = admin.api("GET", "/user").json()

    assert me["name"] == ADMIN
    assert me["admin"] is True
    assert admin.page("/hub/admin").status_code == 200
    # The hub said where the password is, in its log.
    assert "/data/admin-password" in compose_stack.logs("jupyterhub", tail=400)


def test_new_user_waits_for_approval_then_logs_in(
    compose_stack: ComposeStack, compose_stack_factory: StackFactory, admin: HubClient
) -> None:
    name = compose_stack_factory.user_name()
    password = "a-Long-Enough-Pass-42"
    user = HubClient(compose_stack.url)

    message = user.sign_up(name, password)
    assert "sent to the admin" in message

    before = user.log_in(name, password)
    assert before.status_code == 200
    assert "has not been authorized" in login_error(before.text)
    assert not user.is_logged_in()

    authorize_page = admin.page("/hub/authorize")
    assert f"authorize/{name}" in authorize_page.text
    assert admin.page(f"/hub/authorize/{name}").status_code == 200

    after = user.log_in(name, password)
    assert after.status_code == 302
    assert user.is_logged_in()
    users = {u["name"]: u for u in admin.api("GET", "/users").json()}
    assert users[name]["admin"] is False
    assert [n for n, u in users.items() if u["admin"]] == [ADMIN]
