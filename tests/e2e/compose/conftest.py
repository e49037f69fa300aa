"""People on the Compose platform: the admin (bootstrapped password) and approved users."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.fixtures.docker import ComposeStack, StackFactory
from tests.fixtures.hub_client import HubClient

ADMIN: str = "admin"


@dataclass
class User:
    name: str
    password: str
    client: HubClient


@pytest.fixture(scope="session")
def admin(compose_stack: ComposeStack) -> HubClient:
    """The admin, logged in with the password the hub generated into its data volume."""
    client = HubClient(compose_stack.url)
    response = client.log_in(ADMIN, compose_stack.admin_password())
    assert response.status_code == 302, f"admin login refused:\n{compose_stack.logs('jupyterhub')}"
    client.create_token(ADMIN)
    return client


def sign_up_and_approve(stack: ComposeStack, admin: HubClient, name: str) -> User:
    """A user signs up, the admin approves them on NativeAuthenticator's page, they log in."""
    password = f"pw-{name}-Correct-Horse"
    client = HubClient(stack.url)
    client.sign_up(name, password)
    admin.page(f"/hub/authorize/{name}")
    response = client.log_in(name, password)
    assert response.status_code == 302, f"{name} could not log in after approval"
    client.create_token(name)
    return User(name, password, client)


@pytest.fixture(scope="session")
def lab_user(
    compose_stack: ComposeStack, compose_stack_factory: StackFactory, admin: HubClient
) -> User:
    """An approved, logged-in user whose lab server is running."""
    user = sign_up_and_approve(compose_stack, admin, compose_stack_factory.user_name())
    user.client.start_server(user.name)
    return user
